//! Money: exact, in whole paise. Never a float. Serialised by adapters as a string with two
//! decimals (`"4600.00"`).

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_paise(paise: i64) -> Self {
        Self(paise)
    }

    pub fn paise(self) -> i64 {
        self.0
    }

    /// Accepts an amount with at most two decimal places; more precision is refused rather
    /// than silently rounded, since an amount typed by a person is exact.
    pub fn from_decimal(amount: Decimal) -> Result<Self, String> {
        if amount.normalize().scale() > 2 {
            return Err("must have at most two decimal places".into());
        }
        let paise = (amount * Decimal::ONE_HUNDRED)
            .trunc()
            .try_into()
            .map_err(|_| "is too large".to_owned())?;
        Ok(Self(paise))
    }

    /// Rounds half-up (away from zero) to whole paise: the rounding of computed amounts.
    pub fn round_half_up(amount: Decimal) -> Result<Self, String> {
        let rounded = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
        Self::from_decimal(rounded)
    }

    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, 2)
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.2}", self.to_decimal())
    }
}

impl FromStr for Money {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let amount = Decimal::from_str(s.trim()).map_err(|_| format!("'{s}' is not an amount"))?;
        Self::from_decimal(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Money::from_paise(460_000).to_string(), "4600.00");
        assert_eq!("0.3".parse::<Money>().unwrap().to_string(), "0.30");
        assert_eq!("-12.5".parse::<Money>().unwrap().paise(), -1250);
    }

    #[test]
    fn refuses_sub_paise_input_but_rounds_computations_half_up() {
        assert!("1.005".parse::<Money>().is_err());
        assert_eq!("1.50".parse::<Money>().unwrap().paise(), 150);
        let computed = Decimal::from_str("499.995").unwrap();
        assert_eq!(
            Money::round_half_up(computed).unwrap().to_string(),
            "500.00"
        );
        let computed = Decimal::from_str("-0.005").unwrap();
        assert_eq!(Money::round_half_up(computed).unwrap().to_string(), "-0.01");
    }

    proptest! {
        #[test]
        fn display_and_parse_round_trip(paise in -1_000_000_000_000i64..1_000_000_000_000i64) {
            let money = Money::from_paise(paise);
            prop_assert_eq!(money.to_string().parse::<Money>().unwrap(), money);
            prop_assert_eq!(Money::from_decimal(money.to_decimal()).unwrap(), money);
        }
    }
}
