from django.urls import path

from . import teaching_views, views

urlpatterns = [
    path("learn/", views.my_learning, name="my_learning"),
    path("learn/team/", views.my_team, name="my_team"),
    path("learn/teaching/", teaching_views.my_courses_learners, name="my_courses_learners"),
    path("learn/courses/<slug:slug>/", views.course_detail, name="course_detail"),
    path("learn/courses/<slug:slug>/progress/", views.course_progress, name="course_progress"),
]
