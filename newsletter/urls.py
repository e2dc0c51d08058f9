from django.urls import path

from newsletter import feeds, views

app_name = "newsletter"

urlpatterns = [
    path("", views.archive, name="archive"),
    path("<int:number>/", views.issue_detail, name="issue"),
    path("feed/", feeds.ArchiveFeed(), name="feed"),
    path("signup/", views.signup, name="signup"),
    path("signup/check-your-email/", views.check_email, name="check_email"),
    path("confirm/<signed:token>/", views.confirm, name="confirm"),
    path("thanks/", views.thanks, name="thanks"),
    path("infographic/<signed:token>/", views.infographic, name="infographic"),
    path("unsubscribe/<token:token>/", views.unsubscribe, name="unsubscribe"),
    path("unsubscribe/<token:token>/one-click/", views.one_click, name="one_click"),
    path("profile/", views.profile_subscription, name="profile_subscription"),
]
