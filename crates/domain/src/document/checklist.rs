//! Which document categories an assignment needs: the checklist rules of master data
//! (`/api/master/doc-templates`) that fit it, most specific first, or defaults.
//!
//! A rule fits when each of its set fields (bank, branch, property type, subtype, case
//! type) equals the assignment's; unset fields fit anything. Rules are ranked by
//! specificity, the sum of the weights of their set fields (bank 8, branch 6, subtype 5,
//! type 4, case type 2), most specific first, then in the order they were made. Only rules
//! marked `required` make a category required; the categories are the distinct trimmed
//! names (compared without regard to case). When no rule fits at all, the defaults apply:
//! Application, EC, Sale Deed, Photos, Draft Report, Final Report for bank work; Client
//! Request, Photos, Draft Report, Final Report otherwise.

use crate::master::{CaseType, DocTemplateFields};

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecklistFacts {
    pub bank_id: Option<i64>,
    pub branch_id: Option<i64>,
    pub property_type_id: Option<i64>,
    pub property_subtype_id: Option<i64>,
    pub case_type: CaseType,
}

pub const BANK_DEFAULTS: [&str; 6] = [
    "Application",
    "EC",
    "Sale Deed",
    "Photos",
    "Draft Report",
    "Final Report",
];
pub const OTHER_DEFAULTS: [&str; 4] = ["Client Request", "Photos", "Draft Report", "Final Report"];

fn fits<T: PartialEq>(rule: Option<T>, actual: Option<T>) -> bool {
    rule.is_none() || rule == actual
}

/// The rule's specificity, if it fits the assignment.
fn specificity(rule: &DocTemplateFields, facts: &ChecklistFacts) -> Option<u32> {
    let fitting = fits(rule.bank_id, facts.bank_id)
        && fits(rule.branch_id, facts.branch_id)
        && fits(rule.property_type_id, facts.property_type_id)
        && fits(rule.property_subtype_id, facts.property_subtype_id)
        && fits(rule.case_type, Some(facts.case_type));
    fitting.then(|| {
        [
            (rule.bank_id.is_some(), 8),
            (rule.branch_id.is_some(), 6),
            (rule.property_subtype_id.is_some(), 5),
            (rule.property_type_id.is_some(), 4),
            (rule.case_type.is_some(), 2),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, weight)| weight)
        .sum()
    })
}

/// The categories the assignment needs, in checklist order.
pub fn required_categories(rules: &[DocTemplateFields], facts: &ChecklistFacts) -> Vec<String> {
    let mut fitting: Vec<(u32, usize, &DocTemplateFields)> = rules
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| specificity(rule, facts).map(|s| (s, i, rule)))
        .collect();
    if fitting.is_empty() {
        let defaults: &[&str] = match facts.case_type {
            CaseType::Bank => &BANK_DEFAULTS,
            _ => &OTHER_DEFAULTS,
        };
        return defaults.iter().map(|c| (*c).to_owned()).collect();
    }
    fitting.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut categories: Vec<String> = Vec::new();
    for (_, _, rule) in fitting.into_iter().filter(|(_, _, r)| r.required) {
        let name = rule.category.trim();
        if !name.is_empty() && !categories.iter().any(|c| c.eq_ignore_ascii_case(name)) {
            categories.push(name.to_owned());
        }
    }
    categories
}

/// The required categories no document has yet (categories compared without regard to
/// case or surrounding spaces).
pub fn missing_categories(required: &[String], present: &[String]) -> Vec<String> {
    required
        .iter()
        .filter(|r| {
            !present
                .iter()
                .any(|p| p.trim().eq_ignore_ascii_case(r.trim()))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(category: &str) -> DocTemplateFields {
        DocTemplateFields {
            bank_id: None,
            branch_id: None,
            property_type_id: None,
            property_subtype_id: None,
            case_type: None,
            category: category.to_owned(),
            required: true,
            notes: None,
        }
    }

    fn bank_case() -> ChecklistFacts {
        ChecklistFacts {
            bank_id: Some(1),
            branch_id: Some(10),
            property_type_id: Some(2),
            property_subtype_id: Some(20),
            case_type: CaseType::Bank,
        }
    }

    #[test]
    fn without_fitting_rules_the_defaults_of_the_case_type_apply() {
        assert_eq!(required_categories(&[], &bank_case()), BANK_DEFAULTS);
        let other = ChecklistFacts {
            case_type: CaseType::DirectClient,
            ..bank_case()
        };
        assert_eq!(required_categories(&[], &other), OTHER_DEFAULTS);
        // A rule for another bank does not fit.
        let elsewhere = DocTemplateFields {
            bank_id: Some(2),
            ..rule("Tax Receipt")
        };
        assert_eq!(
            required_categories(&[elsewhere], &bank_case()),
            BANK_DEFAULTS
        );
    }

    #[test]
    fn fitting_rules_come_most_specific_first_and_only_required_ones_count() {
        let rules = vec![
            rule("Photos"),
            DocTemplateFields {
                case_type: Some(CaseType::Bank),
                ..rule("Application")
            },
            DocTemplateFields {
                bank_id: Some(1),
                ..rule("Bank Form")
            },
            DocTemplateFields {
                bank_id: Some(1),
                branch_id: Some(10),
                ..rule("Branch Letter")
            },
            DocTemplateFields {
                property_subtype_id: Some(20),
                ..rule("Floor Plan")
            },
            DocTemplateFields {
                required: false,
                bank_id: Some(1),
                ..rule("Optional Extra")
            },
            // The same category again, less specific: listed once, where it ranks first.
            rule(" bank form "),
        ];
        assert_eq!(
            required_categories(&rules, &bank_case()),
            [
                "Branch Letter",
                "Bank Form",
                "Floor Plan",
                "Application",
                "Photos"
            ]
        );
    }

    #[test]
    fn missing_is_required_minus_present_whatever_the_case() {
        let required = vec!["Sale Deed".to_owned(), "Photos".to_owned(), "EC".to_owned()];
        let present = vec!["photos".to_owned(), "Other".to_owned()];
        assert_eq!(missing_categories(&required, &present), ["Sale Deed", "EC"]);
    }
}
