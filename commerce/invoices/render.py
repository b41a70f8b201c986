"""The invoice layout: plain data in, PDF bytes out (reportlab, pure Python; no I/O)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Line:
    name: str
    quantity: int
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class InvoiceData:
    platform: str
    number: str
    issued_at: datetime
    order_id: int
    seller_name: str
    seller_gstin: str | None
    seller_email: str
    buyer_name: str
    buyer_email: str
    ship_to: list[str]
    lines: list[Line]
    total: Decimal
    tax_label: str
    tax_rate_bps: int

    @property
    def tax(self) -> Decimal:
        """The tax included in the total (prices include it)."""
        rate = Decimal(self.tax_rate_bps)
        return (self.total * rate / (10000 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)


def inr(amount: Decimal) -> str:
    return f"INR {amount:,.2f}"


def render_invoice(data: InvoiceData) -> bytes:
    """The PDF of an invoice."""
    # Imported at the first invoice: reportlab is 4 MiB of every process's memory from the start otherwise.
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"Invoice {data.number}", author=data.platform)
    styles = getSampleStyleSheet()
    p = styles["Normal"]

    def para(text: str, style: object = p) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)  # user text is never markup

    story: list[object] = [
        para(data.platform, styles["Title"]),
        para(f"Tax invoice {data.number}", styles["Heading2"]),
        para(f"Order #{data.order_id} · issued {data.issued_at:%d %b %Y}"),
        Spacer(1, 6 * mm),
    ]
    seller = [data.seller_name, f"GSTIN {data.seller_gstin}" if data.seller_gstin else "GSTIN not registered",
              data.seller_email]
    buyer = [data.buyer_name, data.buyer_email, *data.ship_to]
    parties = Table([[para("Sold by", styles["Heading4"]), para("Bill and ship to", styles["Heading4"])],
                     [para("\n".join(seller)), para("\n".join(buyer))]], colWidths=[87 * mm, 87 * mm])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [parties, Spacer(1, 6 * mm)]
    rows: list[list[object]] = [["Item", "Qty", "Unit price", "Amount"]]
    rows += [[para(line.name), str(line.quantity), inr(line.unit_price), inr(line.amount)] for line in data.lines]
    rate = Decimal(data.tax_rate_bps) / 100
    rows += [
        ["", "", "Taxable value", inr(data.total - data.tax)],
        ["", "", f"{data.tax_label} {rate:g}% (included)", inr(data.tax)],
        ["", "", "Total", inr(data.total)],
    ]
    table = Table(rows, colWidths=[86 * mm, 14 * mm, 42 * mm, 32 * mm], repeatRows=1)
    table.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#f1f1f4")),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("FONTNAME", (2, -1), (-1, -1), "Helvetica-Bold"),
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
        ("LINEABOVE", (2, -3), (-1, -3), 0.5, colors.grey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    story += [table, Spacer(1, 8 * mm), para("Thank you for shopping live with us.", styles["Italic"])]
    doc.build(story)
    return buf.getvalue()
