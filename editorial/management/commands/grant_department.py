from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from editorial.models import DEPARTMENT_ROLES, Role
from editorial.roles import grant_department_role, revoke_role
from guides.models import Department


class Command(BaseCommand):
    help = "授予（或用 --revoke 撤销）用户在某部门的编审角色：editor 部门编辑，approver 部门审核人"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("department_code", help="部门编码")
        parser.add_argument("--role", required=True, choices=[role.value for role in DEPARTMENT_ROLES])
        parser.add_argument("--revoke", action="store_true", help="撤销该角色")

    def handle(self, username, department_code, role, revoke, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户名为“{username}”的用户")
        department = Department.objects.filter(code=department_code).first()
        if department is None:
            raise CommandError(f"没有编码为“{department_code}”的部门")
        label = f"{department.name} · {Role(role).label}"
        if revoke:
            if revoke_role(user, role, department):
                self.stdout.write(self.style.SUCCESS(f"已撤销 {username} 的角色：{label}"))
            else:
                self.stdout.write(f"{username} 没有角色：{label}")
            return
        try:
            grant_department_role(user, department, role)
        except LookupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"已授予 {username} 角色：{label}"))
