//! A list of namespaces given on the command line: some of them, or all of them (`*`).

/// A set of namespaces, or all of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NamespaceAllowList {
    All,
    Only(std::collections::BTreeSet<String>),
}

impl NamespaceAllowList {
    pub fn allows(&self, namespace: &str) -> bool {
        match self {
            Self::All => true,
            Self::Only(namespaces) => namespaces.contains(namespace),
        }
    }
}

impl std::str::FromStr for NamespaceAllowList {
    type Err = String;

    /// `*` for all namespaces, else a comma-separated list (empty: none).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.trim() == "*" {
            return Ok(Self::All);
        }
        Ok(Self::Only(
            text.split(',')
                .map(str::trim)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }
}

impl std::fmt::Display for NamespaceAllowList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::All => f.write_str("all namespaces"),
            Self::Only(namespaces) if namespaces.is_empty() => f.write_str("no namespace"),
            Self::Only(namespaces) => {
                f.write_str(&namespaces.iter().cloned().collect::<Vec<_>>().join(", "))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::config::Cli;

    #[test]
    fn the_default_credential_is_allowed_nowhere_unless_listed() {
        let none: NamespaceAllowList = "".parse().expect("empty list");
        assert!(!none.allows("sds"));
        let some: NamespaceAllowList = "sds, district-a ,".parse().expect("list");
        assert!(some.allows("sds") && some.allows("district-a") && !some.allows("district-b"));
        let all: NamespaceAllowList = "*".parse().expect("all");
        assert!(all.allows("anything"));
        let cli = Cli::parse_from(["sds-operator"]);
        assert_eq!(cli.run.default_credential_namespaces, none);
    }
}
