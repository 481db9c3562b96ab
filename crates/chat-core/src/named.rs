//! Enums spelled by name in attributes, storage and on the wire: each variant's name is
//! written once (in its type's `as_str`), and parsing and serde read that one table.

/// A closed set of values, each with one name.
pub trait Named: Copy + Sized + 'static {
    /// Every value, in display order.
    const ALL: &'static [Self];

    /// The value's name.
    fn as_str(self) -> &'static str;

    /// The value named `text` (exact spelling).
    fn parse(text: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|v| v.as_str() == text)
    }
}

/// Serializes a [`Named`] value as its name.
pub fn serialize<T: Named, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_str())
}

/// Reads a [`Named`] value from its name; another name is an `invalid value` error.
pub fn deserialize<'de, T: Named, D: serde::Deserializer<'de>>(d: D) -> Result<T, D::Error> {
    let text = <String as serde::Deserialize>::deserialize(d)?;
    T::parse(&text).ok_or_else(|| {
        serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &"a known name")
    })
}

/// Implements `Serialize`, `Deserialize` and `Display` for a [`Named`] type through its names.
#[macro_export]
macro_rules! serde_by_name {
    ($t:ty) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $crate::named::serialize(self, s)
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                $crate::named::deserialize(d)
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str($crate::named::Named::as_str(*self))
            }
        }
    };
}
