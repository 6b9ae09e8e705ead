from django.urls import path

from suppliers.views import firm, public, registry, team

app_name = "suppliers"

urlpatterns = [
    path("register/", public.register, name="register"),
    path("directory/", public.directory, name="directory"),
    path("debarments/", public.debarments, name="debarments"),
    path("categories/", public.categories, name="categories-browse"),
    path("invitations/<str:key>/", public.invitation, name="invitation"),
    path("mine/", firm.mine, name="mine"),
    path("registry/", registry.queue, name="queue"),
    path("registry/licence-types/", registry.licence_types, name="licence-types"),
    path("registry/requirements/<int:requirement_id>/remove/", registry.requirement_remove, name="requirement-remove"),
    path("<int:pk>/", firm.detail, name="detail"),
    path("<int:pk>/profile/", public.profile, name="profile"),
    path("<int:pk>/edit/", firm.edit, name="edit"),
    path("<int:pk>/resubmit/", firm.resubmit, name="resubmit"),
    path("<int:pk>/categories/", firm.categories, name="categories"),
    path("<int:pk>/categories/<int:category_id>/remove/", firm.category_remove, name="category-remove"),
    path("<int:pk>/licences/new/", firm.licence_new, name="licence-new"),
    path("<int:pk>/licences/<int:licence_id>/file/", firm.licence_file, name="licence-file"),
    path("<int:pk>/licences/<int:licence_id>/check/", registry.licence_check, name="licence-check"),
    path("<int:pk>/licences/<int:licence_id>/remove/", firm.licence_remove, name="licence-remove"),
    path("<int:pk>/follows/", firm.follows, name="follows"),
    path("<int:pk>/follows/<int:follow_id>/remove/", firm.follow_remove, name="follow-remove"),
    path("<int:pk>/team/", team.team, name="team"),
    path("<int:pk>/team/<int:user_id>/role/", team.member_role, name="member-role"),
    path("<int:pk>/team/<int:user_id>/remove/", team.member_remove, name="member-remove"),
    path("<int:pk>/team/invitations/<int:invitation_id>/revoke/", team.invitation_revoke, name="invitation-revoke"),
    path("<int:pk>/verify/", registry.verify, name="verify"),
    path("<int:pk>/return/", registry.return_for_correction, name="return"),
    path("<int:pk>/suspend/", registry.suspend, name="suspend"),
    path("<int:pk>/debar/", registry.debar, name="debar"),
    path("<int:pk>/lift/", registry.lift, name="lift"),
]
