//! What an invoice's printed copy says, section by section, independent of how a renderer
//! lays it out; and amounts in words, in the Indian system (lakh, crore).

use super::arithmetic::Rate;
use crate::money::Money;

/// A printed invoice: everything on it, in reading order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceDocument {
    /// The firm: its name first, then tagline, address, GSTIN, PAN, contact.
    pub firm: Vec<String>,
    pub title: String,
    /// "Invoice No: …", "Date: …", "Due: …".
    pub reference: Vec<String>,
    /// The party billed: name, address, GSTIN, place of supply.
    pub bill_to: Vec<String>,
    pub lines: Vec<DocumentLine>,
    /// Label and amount: subtotal, discount, taxable value, each tax, total, paid, due.
    pub totals: Vec<(String, String)>,
    pub amount_in_words: String,
    /// Where to pay: account, IFSC, bank, UPI; then the bank's invoice notes.
    pub payment: Vec<String>,
    /// Terms and notes.
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub description: String,
    pub quantity: String,
    pub unit_price: String,
    pub rate: Option<String>,
    pub amount: String,
}

impl InvoiceDocument {
    /// Every piece of text on it, in order: what a search of the printed copy would find.
    pub fn texts(&self) -> Vec<&str> {
        let mut all: Vec<&str> = Vec::new();
        all.extend(self.firm.iter().map(String::as_str));
        all.push(&self.title);
        all.extend(self.reference.iter().map(String::as_str));
        all.extend(self.bill_to.iter().map(String::as_str));
        for line in &self.lines {
            all.extend([
                line.description.as_str(),
                line.quantity.as_str(),
                line.unit_price.as_str(),
                line.amount.as_str(),
            ]);
        }
        for (label, amount) in &self.totals {
            all.extend([label.as_str(), amount.as_str()]);
        }
        all.push(&self.amount_in_words);
        all.extend(self.payment.iter().map(String::as_str));
        all.extend(self.notes.iter().map(String::as_str));
        all
    }
}

/// A tax label with its rate: "CGST @ 9.00%".
pub fn tax_label(name: &str, rate: Option<Rate>) -> String {
    match rate {
        Some(rate) => format!("{name} @ {rate}%"),
        None => name.to_owned(),
    }
}

const ONES: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const TENS: [&str; 10] = [
    "", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety",
];

/// 1 to 99.
fn two_digits(n: u64) -> String {
    match n {
        0..=19 => ONES[n as usize].to_owned(),
        _ if n.is_multiple_of(10) => TENS[(n / 10) as usize].to_owned(),
        _ => format!("{} {}", TENS[(n / 10) as usize], ONES[(n % 10) as usize]),
    }
}

/// 1 to 999.
fn three_digits(n: u64) -> String {
    let (hundreds, rest) = (n / 100, n % 100);
    match (hundreds, rest) {
        (0, r) => two_digits(r),
        (h, 0) => format!("{} Hundred", ONES[h as usize]),
        (h, r) => format!("{} Hundred {}", ONES[h as usize], two_digits(r)),
    }
}

/// A whole number in words, Indian grouping: crore (10⁷), lakh (10⁵), thousand, hundred.
pub fn number_in_words(n: u64) -> String {
    if n == 0 {
        return ONES[0].to_owned();
    }
    let mut parts = Vec::new();
    let crores = n / 10_000_000;
    if crores > 0 {
        // Beyond 99 crore the crores themselves are read in words.
        parts.push(format!("{} Crore", number_in_words(crores)));
    }
    let rest = n % 10_000_000;
    for (unit, name) in [(100_000, "Lakh"), (1_000, "Thousand")] {
        let count = rest / unit % 100;
        if count > 0 {
            parts.push(format!("{} {name}", two_digits(count)));
        }
    }
    let below = rest % 1_000;
    if below > 0 {
        parts.push(three_digits(below));
    }
    parts.join(" ")
}

/// "Rupees Eleven Thousand Eight Hundred and Fifty Paise Only".
pub fn rupees_in_words(amount: Money) -> String {
    let paise = amount.paise().unsigned_abs();
    let (rupees, paise) = (paise / 100, paise % 100);
    let mut words = format!("Rupees {}", number_in_words(rupees));
    if paise > 0 {
        words.push_str(&format!(" and {} Paise", two_digits(paise)));
    }
    words.push_str(" Only");
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_in_the_indian_system() {
        assert_eq!(number_in_words(0), "Zero");
        assert_eq!(number_in_words(7), "Seven");
        assert_eq!(number_in_words(40), "Forty");
        assert_eq!(number_in_words(99), "Ninety Nine");
        assert_eq!(number_in_words(100), "One Hundred");
        assert_eq!(number_in_words(1_180), "One Thousand One Hundred Eighty");
        assert_eq!(number_in_words(150_000), "One Lakh Fifty Thousand");
        assert_eq!(
            number_in_words(123_456_789),
            "Twelve Crore Thirty Four Lakh Fifty Six Thousand Seven Hundred Eighty Nine"
        );
        assert_eq!(number_in_words(10_000_000_000), "One Thousand Crore");
    }

    #[test]
    fn rupees_and_paise() {
        assert_eq!(
            rupees_in_words("11850.50".parse().unwrap()),
            "Rupees Eleven Thousand Eight Hundred Fifty and Fifty Paise Only"
        );
        assert_eq!(
            rupees_in_words("5900".parse().unwrap()),
            "Rupees Five Thousand Nine Hundred Only"
        );
        assert_eq!(
            rupees_in_words("0.05".parse().unwrap()),
            "Rupees Zero and Five Paise Only"
        );
    }
}
