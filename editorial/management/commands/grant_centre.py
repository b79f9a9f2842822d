from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from editorial.models import CENTRE_ROLES, Role
from editorial.roles import grant_centre_role, revoke_role


class Command(BaseCommand):
    help = "授予（或用 --revoke 撤销）用户政务服务中心的编审角色：reviewer 中心审核员"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[role.value for role in CENTRE_ROLES])
        parser.add_argument("--revoke", action="store_true", help="撤销该角色")

    def handle(self, username, role, revoke, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的用户")
        label = Role(role).label
        if revoke:
            if revoke_role(user, role):
                self.stdout.write(self.style.SUCCESS(f"已撤销 {username} 的角色：{label}"))
            else:
                self.stdout.write(f"{username} 没有角色：{label}")
            return
        try:
            grant_centre_role(user, role)
        except LookupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"已授予 {username} 角色：{label}"))
