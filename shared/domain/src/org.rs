//! The org chart (조직도, A5/C5): departments form a tree under the company
//! root; department names are unique in a tenant, so files and people can
//! refer to a department by its name.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// A department; `parent` is `None` directly under the company.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Department {
    pub name: String,
    pub parent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    #[error("department name is empty")]
    EmptyName,
    #[error("department name {0:?} is longer than 50 characters")]
    NameTooLong(String),
    #[error("department {0:?} appears twice")]
    Duplicate(String),
    #[error("department {child:?} has an unknown parent {parent:?}")]
    UnknownParent { child: String, parent: String },
    #[error("departments {0:?} form a cycle")]
    Cycle(Vec<String>),
}

/// Checks a department name: trimmed, 1 to 50 characters, no control characters.
pub fn parse_department_name(input: &str) -> Result<String, OrgError> {
    let s = input.trim();
    if s.is_empty() || s.chars().any(char::is_control) {
        return Err(OrgError::EmptyName);
    }
    if s.chars().count() > 50 {
        return Err(OrgError::NameTooLong(s.to_owned()));
    }
    Ok(s.to_owned())
}

/// Checks that departments form a tree: unique names, known parents, no cycle.
pub fn validate(departments: &[Department]) -> Result<(), OrgError> {
    let mut parent_of: HashMap<&str, Option<&str>> = HashMap::new();
    for d in departments {
        parse_department_name(&d.name)?;
        if parent_of
            .insert(d.name.as_str(), d.parent.as_deref())
            .is_some()
        {
            return Err(OrgError::Duplicate(d.name.clone()));
        }
    }
    for d in departments {
        if let Some(p) = &d.parent
            && !parent_of.contains_key(p.as_str())
        {
            return Err(OrgError::UnknownParent {
                child: d.name.clone(),
                parent: p.clone(),
            });
        }
    }
    // Walk up from every department; meeting a department twice is a cycle.
    let mut settled: HashSet<&str> = HashSet::new();
    for d in departments {
        let mut path = Vec::new();
        let mut on_path = HashSet::new();
        let mut at = Some(d.name.as_str());
        while let Some(name) = at {
            if settled.contains(name) {
                break;
            }
            if !on_path.insert(name) {
                let start = path.iter().position(|n| *n == name).unwrap_or(0);
                return Err(OrgError::Cycle(
                    path[start..]
                        .iter()
                        .map(|s: &&str| (*s).to_owned())
                        .collect(),
                ));
            }
            path.push(name);
            at = parent_of.get(name).copied().flatten();
        }
        settled.extend(path);
    }
    Ok(())
}

/// A department with its sub-departments, for display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Node {
    pub name: String,
    pub children: Vec<Node>,
}

/// The departments as a forest under the company root, children sorted by name.
pub fn tree(departments: &[Department]) -> Vec<Node> {
    let mut children: BTreeMap<Option<&str>, Vec<&str>> = BTreeMap::new();
    for d in departments {
        children
            .entry(d.parent.as_deref())
            .or_default()
            .push(d.name.as_str());
    }
    fn build(
        at: Option<&str>,
        children: &BTreeMap<Option<&str>, Vec<&str>>,
        depth: usize,
    ) -> Vec<Node> {
        // Depth bound: a validated tree never reaches it; a corrupt one cannot loop.
        if depth > 64 {
            return Vec::new();
        }
        let mut names = children.get(&at).cloned().unwrap_or_default();
        names.sort_unstable();
        names
            .into_iter()
            .map(|n| Node {
                name: n.to_owned(),
                children: build(Some(n), children, depth + 1),
            })
            .collect()
    }
    build(None, &children, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(name: &str, parent: Option<&str>) -> Department {
        Department {
            name: name.into(),
            parent: parent.map(str::to_owned),
        }
    }

    #[test]
    fn a_tree_of_any_depth_is_valid_and_sorted() {
        let ds = vec![
            d("마케팅팀", None),
            d("경영지원팀", None),
            d("디자인파트", Some("마케팅팀")),
            d("브랜드셀", Some("디자인파트")),
        ];
        assert_eq!(validate(&ds), Ok(()));
        let t = tree(&ds);
        assert_eq!(t[0].name, "경영지원팀");
        assert_eq!(t[1].children[0].children[0].name, "브랜드셀");
    }

    #[test]
    fn a_cycle_is_reported_with_its_members() {
        let ds = vec![
            d("A", Some("C")),
            d("B", Some("A")),
            d("C", Some("B")),
            d("D", None),
        ];
        assert!(matches!(validate(&ds), Err(OrgError::Cycle(c)) if c.len() == 3));
        assert!(matches!(
            validate(&[d("X", Some("X"))]),
            Err(OrgError::Cycle(_))
        ));
    }

    #[test]
    fn unknown_parents_duplicates_and_empty_names_are_rejected() {
        assert_eq!(
            validate(&[d("A", Some("Z"))]),
            Err(OrgError::UnknownParent {
                child: "A".into(),
                parent: "Z".into()
            })
        );
        assert_eq!(
            validate(&[d("A", None), d("A", None)]),
            Err(OrgError::Duplicate("A".into()))
        );
        assert_eq!(validate(&[d(" ", None)]), Err(OrgError::EmptyName));
    }
}
