"""The permission tester of guides: Wagtail's (group page permissions on the department folders
and the guide index decide editing, publishing, deleting and moving), narrowed where a guide
needs more than Wagtail's rules."""

from __future__ import annotations

from wagtail.models import PagePermissionTester

from editorial.roles import roles_of


class GuidePermissionTester(PagePermissionTester):
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
