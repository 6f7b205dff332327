//! Graph's evolvable enums in their wire form: Graph may add members at any time, so a value
//! this client does not know is kept as `Other` with Graph's text and reading never fails on it.

/// Declares an evolvable enum: the members Graph documents, each with its wire spelling, and
/// `Other(String)` for the rest; serialised as the string.
macro_rules! evolvable {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$member_meta:meta])* $member:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(serde::Serialize, serde::Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $( $(#[$member_meta])* $member, )+
            /// Any other value, kept as Graph sent it.
            Other(String),
        }

        impl $crate::evolvable::Evolvable for $name {
            const KNOWN: &'static [&'static str] = &[$( $wire, )+];
        }

        impl $name {
            /// The value as Graph spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$member => $wire, )+
                    Self::Other(value) => value,
                }
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                match value.as_str() {
                    $( $wire => Self::$member, )+
                    _ => Self::Other(value),
                }
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                match value {
                    $name::Other(value) => value,
                    known => known.as_str().to_owned(),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use evolvable;

/// An enum Graph may add members to: the values this client knows, as Graph spells them.
pub trait Evolvable {
    const KNOWN: &'static [&'static str];
}
