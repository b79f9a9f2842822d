from django.core.management.base import BaseCommand

from portal.public_urls import public_base_url, site_address, sync_default_site


class Command(BaseCommand):
    help = "让默认站点（Wagtail Site）的地址与 PUBLIC_BASE_URL 一致（部署时在 migrate 之后运行）"

    def handle(self, *args, **options):
        if site_address() is None:
            self.stdout.write(f"{public_base_url()}: a Wagtail Site cannot hold this address; page URLs use it all the same")
        elif sync_default_site():
            self.stdout.write(self.style.SUCCESS(f"default site now at {public_base_url()}"))
        else:
            self.stdout.write(f"default site already at {public_base_url()}")
