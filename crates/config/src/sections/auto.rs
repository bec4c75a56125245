//! `AutoOr<T>`: a setting that is either the string `"auto"` or a concrete value
//! (e.g. `num_shards: "auto" | 8`, `stratification.enabled: "auto" | true`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `"auto"` or a concrete value.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum AutoOr<T> {
    /// Let the program decide.
    #[default]
    Auto,
    /// An explicit value.
    Value(T),
}

impl<T: Copy> AutoOr<T> {
    /// The explicit value, if any.
    pub fn value(&self) -> Option<T> {
        match self {
            AutoOr::Auto => None,
            AutoOr::Value(v) => Some(*v),
        }
    }

    /// True for `"auto"`.
    pub fn is_auto(&self) -> bool {
        matches!(self, AutoOr::Auto)
    }
}

impl<T: Serialize> Serialize for AutoOr<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AutoOr::Auto => s.serialize_str("auto"),
            AutoOr::Value(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for AutoOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw<T> {
            Str(String),
            Value(T),
        }
        match Raw::<T>::deserialize(d) {
            Ok(Raw::Str(s)) if s.eq_ignore_ascii_case("auto") => Ok(AutoOr::Auto),
            Ok(Raw::Str(s)) => Err(serde::de::Error::custom(format!(
                "expected \"auto\" or an explicit value, found the string \"{s}\""
            ))),
            Ok(Raw::Value(v)) => Ok(AutoOr::Value(v)),
            Err(_) => Err(serde::de::Error::custom(
                "expected \"auto\" or an explicit value of the right type",
            )),
        }
    }
}
