//! Assignment codes: `VAL/2026/0012`. The server assigns them, one sequence per year with
//! no gaps; the adapter draws the number inside the transaction that stores the assignment.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AssignmentCode {
    prefix: String,
    year: i32,
    number: u64,
}

impl AssignmentCode {
    /// A code from its parts; the number is zero-padded to at least four digits.
    pub fn new(prefix: &str, year: i32, number: u64) -> Result<Self, String> {
        let prefix = prefix.trim();
        // Printable ASCII only: codes are typed, printed and searched (their lower case is
        // the same in Rust and in SQL).
        if prefix.is_empty()
            || prefix.contains('/')
            || !prefix.chars().all(|c| c.is_ascii_graphic())
        {
            return Err(format!("'{prefix}' is not a code prefix"));
        }
        if !(1000..=9999).contains(&year) || number == 0 {
            return Err(format!("{year}/{number} is out of range"));
        }
        Ok(Self {
            prefix: prefix.to_owned(),
            year,
            number,
        })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn number(&self) -> u64 {
        self.number
    }

    /// The invoice number of this assignment's invoice: the code with `prefix` in place of
    /// its own (`VAL/2025/0012` → `INV/2025/0012`).
    pub fn invoice_number(&self, prefix: &str) -> String {
        format!("{prefix}/{}/{:04}", self.year, self.number)
    }
}

impl fmt::Display for AssignmentCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{:04}", self.prefix, self.year, self.number)
    }
}

impl FromStr for AssignmentCode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || format!("'{s}' is not an assignment code (PREFIX/YYYY/NNNN)");
        let mut parts = s.split('/');
        let (Some(prefix), Some(year), Some(number), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        if year.len() != 4 || number.len() < 4 || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let year = year.parse().map_err(|_| invalid())?;
        let number = number.parse().map_err(|_| invalid())?;
        Self::new(prefix, year, number).map_err(|_| invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_and_derives_the_invoice_number() {
        let code = AssignmentCode::new("VAL", 2025, 12).unwrap();
        assert_eq!(code.to_string(), "VAL/2025/0012");
        assert_eq!(code.invoice_number("INV"), "INV/2025/0012");
        assert_eq!(
            AssignmentCode::new("VAL", 2026, 12345).unwrap().to_string(),
            "VAL/2026/12345"
        );
    }

    #[test]
    fn refuses_malformed_codes() {
        for bad in [
            "",
            "VAL/2025",
            "VAL/25/0001",
            "VAL/2025/12",
            "VAL/2025/0000",
            "V AL/2025/0001",
            "VAL/2025/00x1",
        ] {
            assert!(bad.parse::<AssignmentCode>().is_err(), "{bad}");
        }
        assert!(AssignmentCode::new("A/B", 2025, 1).is_err());
        // Codes are printable ASCII: their lower case is the same in Rust and in SQL.
        assert!(AssignmentCode::new("VÄL", 2025, 1).is_err());
        assert!(AssignmentCode::new("VAL-2", 2025, 1).is_ok());
    }

    proptest! {
        #[test]
        fn parse_round_trips(year in 1000i32..=9999, number in 1u64..10_000_000) {
            let code = AssignmentCode::new("VAL", year, number).unwrap();
            prop_assert_eq!(code.to_string().parse::<AssignmentCode>().unwrap(), code.clone());
            prop_assert_eq!(code.to_string().len() >= "VAL/2025/0001".len(), true);
        }

        #[test]
        fn codes_of_one_year_sort_by_number(a in 1u64..9999, b in 1u64..9999) {
            let (x, y) = (AssignmentCode::new("VAL", 2026, a).unwrap(), AssignmentCode::new("VAL", 2026, b).unwrap());
            prop_assert_eq!(x.to_string().cmp(&y.to_string()), a.cmp(&b));
        }
    }
}
