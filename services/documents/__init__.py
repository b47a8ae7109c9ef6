"""Generated documents: the card's picture, statements as CSV and PDF, the spending chart."""

from services.documents.branding import Branding, BrandingError, branding_for
from services.documents.card_image import CardFace, CardLabels
from services.documents.chart import ChartLabels, MonthSpend
from services.documents.service import Chart, Document, DocumentService
from services.documents.statement import StatementLabels

__all__ = [
    "Branding",
    "BrandingError",
    "CardFace",
    "CardLabels",
    "Chart",
    "ChartLabels",
    "Document",
    "DocumentService",
    "MonthSpend",
    "StatementLabels",
    "branding_for",
]
