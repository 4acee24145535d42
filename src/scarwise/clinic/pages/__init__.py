"""Server-rendered pages (Jinja2, a few lines of JavaScript for scan progress), English and Arabic."""

from scarwise.clinic.pages._render import error_page
from scarwise.clinic.pages._routes import mount

__all__ = ["error_page", "mount"]
