"""The permission tester of guides: Wagtail's (group page permissions on the department folders
and the guide index decide editing, publishing, deleting and moving), narrowed where a guide
needs more than Wagtail's rules."""

from __future__ import annotations

from wagtail.models import PagePermissionTester

from editorial.roles import roles_of


class GuidePermissionTester(PagePermissionTester):
    def __init__(self, user, page):
        """A translation sits in the other locale's copy of the tree, where no role is granted:
        translating is editing the department's guide, so the translation has the permissions
        its source has (a department's editors translate their own department's guides)."""
        super().__init__(user, page)
        from guides.translations import is_translation, source_of

        if self.user.is_active and not self.user.is_superuser and is_translation(page):
            source = source_of(page)
            self.permissions = {
                perm.permission.codename.rsplit("_", maxsplit=1)[0]
                for perm in self.permission_policy.get_cached_permissions_for_user(user)
                if source is not None and source.path.startswith(perm.page.path)
            }

    def can_move_to(self, destination):
        """Moving a guide to another department's folder hands it to that department: a centre
        reviewer's act (or an administrator's), whatever rights the mover holds in both."""
        if not super().can_move_to(destination):
            return False
        if self.page.is_child_of(destination):  # reordering within the folder
            return True
        roles = roles_of(self.user)
        return roles.is_centre_reviewer or roles.is_administrator

    def can_copy(self):
        """A copy would repeat the guide's code, which is unique: a new guide is created, not
        copied (and nobody copies another department's guide, drafts included)."""
        return False
