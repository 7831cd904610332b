from csp.decorators import csp_exempt
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import logout, signals, views
from .throttle import throttled

browser = throttled("browser")

urlpatterns = [
    path("login/", views.LoginPageView.as_view(), name="login"),
    path("logout/", logout.sign_out, name="logout"),
    path("sso/<slug:slug>/login/", browser(views.SsoLoginView.as_view()), name="sso_login"),
    path("sso/<slug:slug>/callback/", browser(views.SsoCallbackView.as_view()), name="sso_callback"),
    # OpenID Connect Core 4 allows the IdP to POST here from its own page: no CSRF token to be had.
    path(
        "sso/<slug:slug>/initiate/",
        browser(csrf_exempt(views.InitiateLoginView.as_view())),
        name="sso_initiate",
    ),
    # The IdP frames this empty page (Front-Channel Logout 1.0): no frame-ancestors 'none' here.
    # (django-csp types a view as taking the request alone, hence the ignore.)
    path(
        "sso/<slug:slug>/logout/",
        csp_exempt()(logout.frontchannel_logout),  # type: ignore[arg-type]
        name="sso_frontchannel_logout",
    ),
    path("sso/<slug:slug>/signed-out/", logout.signed_out, name="sso_signed_out"),
    path("sso/<slug:slug>/backchannel-logout/", logout.backchannel_logout, name="sso_backchannel_logout"),
    path("sso/<slug:slug>/ssf/events/", signals.ssf_events, name="sso_ssf_events"),
    path(
        "sso/<slug:slug>/global-token-revocation/",
        signals.global_token_revocation,
        name="sso_global_token_revocation",
    ),
]
