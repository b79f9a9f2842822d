from django.core.management.base import BaseCommand, CommandError

from printing.fonts import PrintFontError, build_print_fonts, font_dir


class Command(BaseCommand):
    help = "Build the print face of the guide sheets from the installed CJK font (printing.fonts); skips what is up to date."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="build again even if up to date")

    def handle(self, *args, force=False, **options):
        verbose = options["verbosity"] > 0
        try:
            manifest = build_print_fonts(force=force, log=lambda line: verbose and self.stdout.write(line))
        except (PrintFontError, OSError) as error:
            raise CommandError(str(error)) from error
        if verbose:
            self.stdout.write(self.style.SUCCESS(f"print faces in {font_dir()}: {', '.join(manifest['faces'])}"))
