from csp.decorators import csp_exempt
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import views

urlpatterns = [
    path("login/", views.LoginPageView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("sso/<slug:slug>/login/", views.SsoLoginView.as_view(), name="sso_login"),
    path("sso/<slug:slug>/callback/", views.SsoCallbackView.as_view(), name="sso_callback"),
    # OpenID Connect Core 4 allows the IdP to POST here from its own page: no CSRF token to be had.
    path("sso/<slug:slug>/initiate/", csrf_exempt(views.InitiateLoginView.as_view()), name="sso_initiate"),
    # The IdP frames this empty page (Front-Channel Logout 1.0): no frame-ancestors 'none' here.
    # (django-csp types a view as taking the request alone, hence the ignore.)
    path(
        "sso/<slug:slug>/logout/",
        csp_exempt()(views.frontchannel_logout),  # type: ignore[arg-type]
        name="sso_frontchannel_logout",
    ),
]
