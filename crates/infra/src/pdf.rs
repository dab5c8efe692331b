//! The printed invoice as a PDF: the domain's [`InvoiceDocument`] laid out top to bottom
//! on A4 pages with the PDF base fonts (Helvetica; no font file to ship). Streams are left
//! uncompressed: a page is a few kilobytes, and the text stays searchable in the file.

use printpdf::{
    BuiltinFont, Line, LinePoint, Mm, Op, PdfDocument, PdfFontHandle, PdfPage, PdfSaveOptions,
    Point, Pt, TextItem,
};
use zenops_domain::DomainResult;
use zenops_domain::invoice::{InvoiceDocument, InvoiceRenderer};

const WIDTH: f32 = 210.0;
const HEIGHT: f32 = 297.0;
const LEFT: f32 = 15.0;
const RIGHT: f32 = WIDTH - 15.0;
const BOTTOM: f32 = 280.0;

/// The base fonts cannot show the rupee sign; anything else they cannot show is replaced
/// by the font's `?`.
fn printable(text: &str) -> String {
    text.replace('₹', "Rs.")
}

/// Text placed from the top of the page, page breaks included.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: vec![Vec::new()],
            y: 18.0,
        }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        if self.pages.is_empty() {
            self.pages.push(Vec::new());
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn room(&mut self, height: f32) {
        if self.y + height > BOTTOM {
            self.pages.push(Vec::new());
            self.y = 18.0;
        }
    }

    fn text_at(&mut self, x: f32, size: f32, bold: bool, text: &str) {
        let font = if bold {
            BuiltinFont::HelveticaBold
        } else {
            BuiltinFont::Helvetica
        };
        let y = HEIGHT - self.y;
        self.ops().extend([
            Op::StartTextSection,
            Op::SetFont {
                font: PdfFontHandle::Builtin(font),
                size: Pt(size),
            },
            Op::SetTextCursor {
                pos: Point::new(Mm(x), Mm(y)),
            },
            Op::ShowText {
                items: vec![TextItem::Text(printable(text))],
            },
            Op::EndTextSection,
        ]);
    }

    /// One line of text, then down by its height.
    fn line(&mut self, size: f32, bold: bool, text: &str) {
        let height = size * 0.45;
        self.room(height);
        self.text_at(LEFT, size, bold, text);
        self.y += height;
    }

    /// Texts in columns on one line.
    fn row(&mut self, size: f32, bold: bool, cells: &[(f32, &str)]) {
        let height = size * 0.45;
        self.room(height);
        for (x, text) in cells {
            self.text_at(*x, size, bold, text);
        }
        self.y += height;
    }

    fn rule(&mut self) {
        self.room(3.0);
        let y = HEIGHT - self.y;
        let point = |x: f32| LinePoint {
            p: Point::new(Mm(x), Mm(y)),
            bezier: false,
        };
        self.ops().extend([
            Op::SaveGraphicsState,
            Op::SetOutlineThickness { pt: Pt(0.5) },
            Op::DrawLine {
                line: Line {
                    points: vec![point(LEFT), point(RIGHT)],
                    is_closed: false,
                },
            },
            Op::RestoreGraphicsState,
        ]);
        self.y += 4.0;
    }

    fn gap(&mut self, mm: f32) {
        self.y += mm;
    }
}

/// Renders invoices with printpdf.
#[derive(Debug, Clone, Copy, Default)]
pub struct PdfInvoices;

impl InvoiceRenderer for PdfInvoices {
    fn render(&self, d: &InvoiceDocument) -> DomainResult<Vec<u8>> {
        let mut l = Layout::new();
        for (i, text) in d.firm.iter().enumerate() {
            if i == 0 {
                l.line(16.0, true, text);
            } else {
                l.line(9.0, false, text);
            }
        }
        l.rule();
        l.line(14.0, true, &d.title);
        for text in &d.reference {
            l.line(10.0, false, text);
        }
        l.gap(2.0);
        if !d.bill_to.is_empty() {
            l.line(10.0, true, "Bill to");
            for text in &d.bill_to {
                l.line(10.0, false, text);
            }
        }
        l.gap(2.0);
        l.rule();
        let columns = |desc: &str, qty: &str, price: &str, rate: &str, amount: &str| {
            [
                (LEFT, desc.to_owned()),
                (115.0, qty.to_owned()),
                (135.0, price.to_owned()),
                (160.0, rate.to_owned()),
                (175.0, amount.to_owned()),
            ]
        };
        let head = columns("Description", "Qty", "Rate", "GST", "Amount");
        l.row(
            10.0,
            true,
            &head
                .iter()
                .map(|(x, t)| (*x, t.as_str()))
                .collect::<Vec<_>>(),
        );
        for line in &d.lines {
            let description: String = line.description.chars().take(60).collect();
            let cells = columns(
                &description,
                &line.quantity,
                &line.unit_price,
                line.rate.as_deref().unwrap_or(""),
                &line.amount,
            );
            l.row(
                10.0,
                false,
                &cells
                    .iter()
                    .map(|(x, t)| (*x, t.as_str()))
                    .collect::<Vec<_>>(),
            );
        }
        l.rule();
        for (label, amount) in &d.totals {
            let bold = label == "Total" || label == "Amount due";
            l.row(
                10.0,
                bold,
                &[(120.0, label.as_str()), (175.0, amount.as_str())],
            );
        }
        l.gap(2.0);
        l.line(9.0, false, &d.amount_in_words);
        if !d.payment.is_empty() {
            l.gap(3.0);
            l.line(10.0, true, "Payment details");
            for text in &d.payment {
                l.line(9.0, false, text);
            }
        }
        if !d.notes.is_empty() {
            l.gap(3.0);
            for text in &d.notes {
                l.line(9.0, false, text);
            }
        }
        let pages = l
            .pages
            .into_iter()
            .map(|ops| PdfPage::new(Mm(WIDTH), Mm(HEIGHT), ops))
            .collect();
        let title = d
            .reference
            .first()
            .cloned()
            .unwrap_or_else(|| d.title.clone());
        let mut doc = PdfDocument::new(&title);
        doc.with_pages(pages);
        let options = PdfSaveOptions {
            optimize: false,
            ..Default::default()
        };
        let mut warnings = Vec::new();
        Ok(doc.save(&options, &mut warnings))
    }
}
