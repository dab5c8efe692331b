//! Paging through lists: `limit`/`skip` with a default and a cap, so that no request can
//! ask for a whole table.

/// A validated window over a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u64,
    pub skip: u64,
}

/// The rows of one page and how many there are in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: u64,
}

impl<T> Paged<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Paged<U> {
        Paged {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
        }
    }
}

impl Page {
    /// `limit` defaults to `default` and is capped at `cap`; a negative value is an error.
    pub fn parse(
        limit: Option<i64>,
        skip: Option<i64>,
        default: u64,
        cap: u64,
    ) -> Result<Self, String> {
        let limit = match limit {
            None => default,
            Some(n) if n < 0 => return Err("limit must not be negative".into()),
            Some(n) => u64::try_from(n).unwrap_or(cap).min(cap),
        };
        let skip = match skip {
            None => 0,
            Some(n) => u64::try_from(n).map_err(|_| "skip must not be negative".to_owned())?,
        };
        Ok(Self { limit, skip })
    }

    /// Everything up to `cap` rows.
    pub fn first(cap: u64) -> Self {
        Self {
            limit: cap,
            skip: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_caps_and_refuses_negatives() {
        assert_eq!(
            Page::parse(None, None, 100, 500),
            Ok(Page {
                limit: 100,
                skip: 0
            })
        );
        assert_eq!(
            Page::parse(Some(10_000), Some(20), 100, 500),
            Ok(Page {
                limit: 500,
                skip: 20
            })
        );
        assert_eq!(
            Page::parse(Some(0), None, 100, 500),
            Ok(Page { limit: 0, skip: 0 })
        );
        assert!(Page::parse(Some(-1), None, 100, 500).is_err());
        assert!(Page::parse(None, Some(-5), 100, 500).is_err());
    }
}
