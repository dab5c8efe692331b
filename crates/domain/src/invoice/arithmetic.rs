//! Invoice arithmetic: line totals, the discount, the taxable value, tax and the GST
//! split, exactly as `docs/invoice-arithmetic.md` writes them down (its worked examples are
//! the tests below). Every amount is whole paise; every rounding is half-up to the paisa
//! and happens only where the document says.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::money::Money;

/// The GST rate when nothing else is said, in percent. Defined here and nowhere else.
pub const DEFAULT_GST_RATE: &str = "18.00";

/// A tax rate in percent, 0 to 100 with at most two decimals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let value = Decimal::from_str(raw.trim()).map_err(|_| format!("'{raw}' is not a rate"))?;
        Self::new(value)
    }

    pub fn new(value: Decimal) -> Result<Self, String> {
        if value.normalize().scale() > 2 {
            return Err("must have at most two decimal places".into());
        }
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err("must be between 0 and 100".into());
        }
        Ok(Self(value.round_dp(2)))
    }

    /// The firm's default, [`DEFAULT_GST_RATE`].
    pub fn default_gst() -> Self {
        Self(Decimal::new(1800, 2))
    }

    /// Hundredths of a percent, as stored.
    pub fn basis_points(self) -> i64 {
        (self.0 * Decimal::ONE_HUNDRED)
            .trunc()
            .try_into()
            .unwrap_or(0)
    }

    pub fn from_basis_points(bp: i64) -> Result<Self, String> {
        Self::new(Decimal::new(bp, 2))
    }

    pub fn to_decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// A quantity: positive, at most two decimals, at most 1,000,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(Decimal);

impl Quantity {
    pub const ONE: Quantity = Quantity(Decimal::ONE);

    pub fn parse(raw: &str) -> Result<Self, String> {
        let value =
            Decimal::from_str(raw.trim()).map_err(|_| format!("'{raw}' is not a quantity"))?;
        Self::new(value)
    }

    pub fn new(value: Decimal) -> Result<Self, String> {
        if value.normalize().scale() > 2 {
            return Err("must have at most two decimal places".into());
        }
        if value <= Decimal::ZERO {
            return Err("must be greater than zero".into());
        }
        if value > Decimal::new(1_000_000, 0) {
            return Err("must be at most 1000000".into());
        }
        Ok(Self(value.round_dp(2)))
    }

    /// Hundredths, as stored.
    pub fn hundredths(self) -> i64 {
        (self.0 * Decimal::ONE_HUNDRED)
            .trunc()
            .try_into()
            .unwrap_or(0)
    }

    pub fn from_hundredths(h: i64) -> Result<Self, String> {
        Self::new(Decimal::new(h, 2))
    }

    pub fn to_decimal(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.0)
    }
}

/// What the arithmetic needs of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub quantity: Quantity,
    pub unit_price: Money,
    /// The line's own rate; `None` means the invoice's rate.
    pub tax_rate: Option<Rate>,
}

/// Every amount of an invoice before payments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    /// Per line, in line order.
    pub line_totals: Vec<Money>,
    /// Per line: the part of the discount it carries (all zero without a discount).
    pub line_discounts: Vec<Money>,
    pub subtotal: Money,
    pub discount: Money,
    /// The subtotal less the discount: what tax is charged on.
    pub taxable: Money,
    pub tax: Money,
    pub total: Money,
}

/// How the tax splits for GST.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TaxSplit {
    pub cgst: Money,
    pub sgst: Money,
    pub igst: Money,
}

fn money(amount: Decimal) -> Result<Money, String> {
    Money::round_half_up(amount).map_err(|_| "an amount is too large".to_owned())
}

fn add(a: Money, b: Money) -> Result<Money, String> {
    a.checked_add(b)
        .ok_or_else(|| "an amount is too large".to_owned())
}

/// Computes an invoice's amounts (rules 1–6 of `docs/invoice-arithmetic.md`).
pub fn compute(lines: &[Priced], invoice_rate: Rate, discount: Money) -> Result<Totals, String> {
    // 1. Each line: quantity × unit price, rounded.
    let line_totals = lines
        .iter()
        .map(|l| money(l.quantity.to_decimal() * l.unit_price.to_decimal()))
        .collect::<Result<Vec<_>, _>>()?;
    // 2. The subtotal: their sum (exact).
    let subtotal = line_totals
        .iter()
        .try_fold(Money::ZERO, |sum, t| add(sum, *t))?;
    // 3. The discount: never negative, never more than the subtotal.
    if discount < Money::ZERO {
        return Err("the discount must not be negative".into());
    }
    if discount > subtotal {
        return Err("the discount must not be more than the subtotal".into());
    }
    let taxable = Money::from_paise(subtotal.paise() - discount.paise());
    let own_rates = lines.iter().any(|l| l.tax_rate.is_some());
    let line_discounts = apportion(discount, &line_totals)?;
    let tax = if own_rates {
        // 5. Per line, on the line's share of the taxable value, at its own rate (or the
        //    invoice's); each rounded, then summed.
        let mut tax = Money::ZERO;
        for ((line, total), share) in lines.iter().zip(&line_totals).zip(&line_discounts) {
            let rate = line.tax_rate.unwrap_or(invoice_rate);
            let base = total.to_decimal() - share.to_decimal();
            tax = add(tax, money(base * rate.to_decimal() / Decimal::ONE_HUNDRED)?)?;
        }
        tax
    } else {
        // 4. One rate: on the taxable value, rounded once.
        money(taxable.to_decimal() * invoice_rate.to_decimal() / Decimal::ONE_HUNDRED)?
    };
    // 6. The total.
    let total = add(taxable, tax)?;
    Ok(Totals {
        line_totals,
        line_discounts,
        subtotal,
        discount,
        taxable,
        tax,
        total,
    })
}

/// Splits `discount` over the lines in proportion to their totals, each share rounded
/// half-up; what rounding leaves over (a few paise either way) goes to the line with the
/// largest total (the first of equals), so the shares always add up to the discount.
fn apportion(discount: Money, totals: &[Money]) -> Result<Vec<Money>, String> {
    let subtotal: i64 = totals.iter().map(|t| t.paise()).sum();
    if discount == Money::ZERO || subtotal == 0 {
        return Ok(vec![Money::ZERO; totals.len()]);
    }
    let mut shares = totals
        .iter()
        .map(|t| money(discount.to_decimal() * t.to_decimal() / Decimal::new(subtotal, 2)))
        .collect::<Result<Vec<_>, _>>()?;
    let given: i64 = shares.iter().map(|s| s.paise()).sum();
    let left = discount.paise() - given;
    if left != 0 {
        let largest = totals
            .iter()
            .enumerate()
            .max_by(|(i, a), (j, b)| a.cmp(b).then(j.cmp(i)))
            .map(|(i, _)| i)
            .unwrap_or(0);
        shares[largest] = Money::from_paise(shares[largest].paise() + left);
    }
    Ok(shares)
}

/// The GST split (rule 7): inside the firm's state, CGST is half the tax rounded half-up
/// and SGST the rest; otherwise all of it is IGST.
pub fn split(tax: Money, within_state: bool) -> Result<TaxSplit, String> {
    if within_state {
        let cgst = money(tax.to_decimal() / Decimal::TWO)?;
        Ok(TaxSplit {
            cgst,
            sgst: Money::from_paise(tax.paise() - cgst.paise()),
            igst: Money::ZERO,
        })
    } else {
        Ok(TaxSplit {
            igst: tax,
            ..TaxSplit::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn line(q: &str, price: &str, rate: Option<&str>) -> Priced {
        Priced {
            quantity: Quantity::parse(q).unwrap(),
            unit_price: m(price),
            tax_rate: rate.map(|r| Rate::parse(r).unwrap()),
        }
    }

    fn rate(r: &str) -> Rate {
        Rate::parse(r).unwrap()
    }

    // The worked examples of docs/invoice-arithmetic.md, one test each.

    #[test]
    fn example_1_one_rate_no_discount() {
        let t = compute(&[line("1", "5000.00", None)], rate("18"), Money::ZERO).unwrap();
        assert_eq!(t.subtotal, m("5000.00"));
        assert_eq!(t.taxable, m("5000.00"));
        assert_eq!(t.tax, m("900.00"));
        assert_eq!(t.total, m("5900.00"));
        let s = split(t.tax, true).unwrap();
        assert_eq!((s.cgst, s.sgst, s.igst), (m("450.00"), m("450.00"), m("0")));
    }

    #[test]
    fn example_2_half_up_on_lines_and_tax() {
        let lines = [line("1.5", "333.33", None), line("3", "0.35", None)];
        let t = compute(&lines, rate("18"), Money::ZERO).unwrap();
        assert_eq!(t.line_totals, [m("500.00"), m("1.05")]);
        assert_eq!(t.subtotal, m("501.05"));
        // 501.05 × 18% = 90.189 → 90.19
        assert_eq!(t.tax, m("90.19"));
        assert_eq!(t.total, m("591.24"));
        // 90.19 / 2 = 45.095 → CGST 45.10, SGST 45.09
        let s = split(t.tax, true).unwrap();
        assert_eq!((s.cgst, s.sgst), (m("45.10"), m("45.09")));
        assert_eq!(split(t.tax, false).unwrap().igst, m("90.19"));
    }

    #[test]
    fn example_3_discount_before_tax() {
        let t = compute(&[line("1", "10000.00", None)], rate("18"), m("1000.00")).unwrap();
        assert_eq!(t.subtotal, m("10000.00"));
        assert_eq!(t.taxable, m("9000.00"));
        assert_eq!(t.tax, m("1620.00"));
        assert_eq!(t.total, m("10620.00"));
    }

    #[test]
    fn example_4_discount_apportioned_over_own_rates() {
        // 100.00 off 300.00 + 700.00: shares 30.00 and 70.00.
        let lines = [
            line("1", "300.00", Some("5")),
            line("1", "700.00", Some("18")),
        ];
        let t = compute(&lines, rate("18"), m("100.00")).unwrap();
        assert_eq!(t.line_discounts, [m("30.00"), m("70.00")]);
        // 270 × 5% = 13.50; 630 × 18% = 113.40
        assert_eq!(t.tax, m("126.90"));
        assert_eq!(t.taxable, m("900.00"));
        assert_eq!(t.total, m("1026.90"));
    }

    #[test]
    fn example_5_the_remainder_goes_to_the_largest_line() {
        // 10.00 off three lines of 100.00, 100.00 and 100.01: shares 3.33, 3.33, 3.33
        // leave 0.01, which goes to the largest line.
        let lines = [
            line("1", "100.00", Some("18")),
            line("1", "100.01", Some("18")),
            line("1", "100.00", None),
        ];
        let t = compute(&lines, rate("12"), m("10.00")).unwrap();
        assert_eq!(t.line_discounts, [m("3.33"), m("3.34"), m("3.33")]);
        // 96.67 × 18% = 17.4006 → 17.40; 96.67 × 18% = 17.40; 96.67 × 12% = 11.6004 → 11.60
        assert_eq!(t.tax, m("46.40"));
        assert_eq!(t.total, m("336.41"));
    }

    #[test]
    fn discounts_beyond_the_subtotal_or_negative_are_refused() {
        assert!(compute(&[line("1", "10.00", None)], rate("18"), m("10.01")).is_err());
        assert!(compute(&[line("1", "10.00", None)], rate("18"), m("-1")).is_err());
    }

    #[test]
    fn rates_and_quantities_are_bounded() {
        assert!(Rate::parse("100.01").is_err());
        assert!(Rate::parse("-1").is_err());
        assert!(Rate::parse("18.005").is_err());
        assert_eq!(Rate::parse(DEFAULT_GST_RATE).unwrap(), Rate::default_gst());
        assert!(Quantity::parse("0").is_err());
        assert!(Quantity::parse("1.001").is_err());
        assert!(Quantity::parse("1000001").is_err());
        assert_eq!(Rate::from_basis_points(1800).unwrap().to_string(), "18.00");
    }

    fn any_line() -> impl Strategy<Value = Priced> {
        (
            1i64..100_000,
            0i64..100_000_000,
            prop::option::of(0i64..=10_000),
        )
            .prop_map(|(q, p, r)| Priced {
                quantity: Quantity::from_hundredths(q).unwrap(),
                unit_price: Money::from_paise(p),
                tax_rate: r.map(|r| Rate::from_basis_points(r).unwrap()),
            })
    }

    proptest! {
        #[test]
        fn the_total_is_taxable_plus_tax_and_shares_add_up(
            lines in prop::collection::vec(any_line(), 1..8),
            rate in 0i64..=10_000,
            fraction in 0u32..=100,
        ) {
            let rate = Rate::from_basis_points(rate).unwrap();
            let subtotal: i64 = compute(&lines, rate, Money::ZERO).unwrap().subtotal.paise();
            let discount = Money::from_paise(subtotal * i64::from(fraction) / 100);
            let t = compute(&lines, rate, discount).unwrap();
            prop_assert_eq!(t.total.paise(), t.taxable.paise() + t.tax.paise());
            prop_assert_eq!(t.taxable.paise(), t.subtotal.paise() - t.discount.paise());
            let shares: i64 = t.line_discounts.iter().map(|s| s.paise()).sum();
            prop_assert_eq!(shares, discount.paise());
            for (share, total) in t.line_discounts.iter().zip(&t.line_totals) {
                prop_assert!(share.paise() >= 0 && share <= total);
            }
            prop_assert!(t.tax.paise() >= 0);
            let s = split(t.tax, true).unwrap();
            prop_assert_eq!(s.cgst.paise() + s.sgst.paise(), t.tax.paise());
            prop_assert!((s.cgst.paise() - s.sgst.paise()).abs() <= 1);
        }
    }
}
