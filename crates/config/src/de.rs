//! A `serde::Deserializer` over a [`Node`] tree that keeps going after errors.
//!
//! Typed sections are plain `#[derive(Deserialize)]` structs with `#[serde(default)]`.
//! They are read from the normalised [`Node`] tree through this deserializer, which
//! knows the dotted key path and source line of every value, so that:
//!
//! * keys a struct does not declare are skipped and reported as **warnings**
//!   (`deserialize_struct` receives the struct's field list from serde);
//! * a scalar of the wrong type is reported as an **error** naming the key path and
//!   line, and a neutral stand-in value is handed to serde so that reading continues and
//!   every such error in the file is reported at once;
//! * an explicit `null` for a struct field means "use the default" (the entry is
//!   skipped), which is how the original treats `null` for optional settings;
//! * errors raised by custom `Deserialize` impls (e.g. an unknown `analysis_mode`) are
//!   recorded with their path and abort the read of the file.
//!
//! Lenient conversions (PyYAML-compatible): integers are accepted where numbers are
//! expected, integral floats where integers are expected, numeric strings where numbers
//! are expected, scalars where strings are expected, and the strings
//! `yes/no/on/off/true/false` where booleans are expected.

use crate::issues::ValidationReport;
use crate::node::{Node, NodeKind};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use std::cell::RefCell;
use std::fmt;

/// Deserialization error. `Aborted` means "already recorded in the report".
#[derive(Debug)]
pub(crate) enum DeError {
    Aborted,
    Custom(String),
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeError::Aborted => f.write_str("aborted after a recorded error"),
            DeError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::Custom(msg.to_string())
    }
}

/// Read a typed value from `node`, recording problems in `report` under `path`.
/// Returns `None` when a fatal (custom) error stopped the read.
pub(crate) fn read<T: de::DeserializeOwned>(
    node: &Node,
    path: &str,
    report: &mut ValidationReport,
) -> Option<T> {
    let cell = RefCell::new(std::mem::take(report));
    let res = T::deserialize(NodeDe {
        node,
        path: path.to_string(),
        report: &cell,
    });
    *report = cell.into_inner();
    match res {
        Ok(v) => Some(v),
        Err(DeError::Aborted) => None,
        Err(DeError::Custom(m)) => {
            report.error(path, node.line, m);
            None
        }
    }
}

struct NodeDe<'a> {
    node: &'a Node,
    path: String,
    report: &'a RefCell<ValidationReport>,
}

fn child_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

impl<'a> NodeDe<'a> {
    fn type_error(&self, expected: &str) {
        self.report.borrow_mut().error(
            &self.path,
            self.node.line,
            format!("expected {expected}, found {}", self.node.describe()),
        );
    }

    fn number(&self) -> Option<f64> {
        match &self.node.kind {
            NodeKind::Int(i) => Some(*i as f64),
            NodeKind::Float(f) => Some(*f),
            NodeKind::Str(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        }
    }

    fn integer(&self) -> Option<i64> {
        match &self.node.kind {
            NodeKind::Int(i) => Some(*i),
            NodeKind::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            NodeKind::Str(s) => s.trim().parse::<i64>().ok(),
            _ => None,
        }
    }

    fn child(&self, node: &'a Node, path: String) -> NodeDe<'a> {
        NodeDe {
            node,
            path,
            report: self.report,
        }
    }

    /// Record a custom error from a nested read (once) and abort.
    fn wrap<T>(&self, node: &Node, path: &str, r: Result<T, DeError>) -> Result<T, DeError> {
        match r {
            Err(DeError::Custom(m)) => {
                self.report.borrow_mut().error(path, node.line, m);
                Err(DeError::Aborted)
            }
            other => other,
        }
    }
}

macro_rules! int_method {
    ($name:ident, $visit:ident, $t:ty) => {
        fn $name<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
            match self.integer() {
                Some(i) => match <$t>::try_from(i) {
                    Ok(x) => v.$visit(x),
                    Err(_) => {
                        self.type_error(concat!("an integer that fits ", stringify!($t)));
                        v.$visit(0 as $t)
                    }
                },
                None => {
                    self.type_error("an integer");
                    v.$visit(0 as $t)
                }
            }
        }
    };
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Null => v.visit_unit(),
            NodeKind::Bool(b) => v.visit_bool(*b),
            NodeKind::Int(i) => v.visit_i64(*i),
            NodeKind::Float(f) => v.visit_f64(*f),
            NodeKind::Str(s) => v.visit_str(s),
            NodeKind::Seq(items) => v.visit_seq(SeqAcc {
                items: items.iter().enumerate(),
                de: &self,
            }),
            NodeKind::Map(_) => self.deserialize_map(v),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Bool(b) => v.visit_bool(*b),
            NodeKind::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" => v.visit_bool(true),
                "false" | "no" | "off" => v.visit_bool(false),
                _ => {
                    self.type_error("a boolean (true/false)");
                    v.visit_bool(false)
                }
            },
            _ => {
                self.type_error("a boolean (true/false)");
                v.visit_bool(false)
            }
        }
    }

    int_method!(deserialize_i8, visit_i8, i8);
    int_method!(deserialize_i16, visit_i16, i16);
    int_method!(deserialize_i32, visit_i32, i32);
    int_method!(deserialize_i64, visit_i64, i64);
    int_method!(deserialize_u8, visit_u8, u8);
    int_method!(deserialize_u16, visit_u16, u16);
    int_method!(deserialize_u32, visit_u32, u32);
    int_method!(deserialize_u64, visit_u64, u64);

    fn deserialize_f32<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(v)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.number() {
            Some(x) => v.visit_f64(x),
            None => {
                self.type_error("a number");
                v.visit_f64(0.0)
            }
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Str(s) => v.visit_str(s),
            NodeKind::Int(i) => v.visit_string(i.to_string()),
            NodeKind::Float(f) => v.visit_string(f.to_string()),
            NodeKind::Bool(b) => v.visit_string(b.to_string()),
            _ => {
                self.type_error("a string");
                v.visit_str("")
            }
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        if self.node.is_null() {
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Seq(items) => v.visit_seq(SeqAcc {
                items: items.iter().enumerate(),
                de: &self,
            }),
            _ => {
                self.type_error("a list");
                v.visit_seq(SeqAcc {
                    items: [].iter().enumerate(),
                    de: &self,
                })
            }
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, v: V) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        v: V,
    ) -> Result<V::Value, DeError> {
        self.deserialize_seq(v)
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) => v.visit_map(MapAcc {
                entries: entries.iter().collect(),
                pos: 0,
                de: &self,
            }),
            _ => {
                self.type_error("a mapping");
                v.visit_map(MapAcc {
                    entries: Vec::new(),
                    pos: 0,
                    de: &self,
                })
            }
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Map(entries) => {
                let mut keep = Vec::new();
                for e in entries {
                    if !fields.contains(&e.key.as_str()) {
                        self.report.borrow_mut().warning(
                            &child_path(&self.path, &e.key),
                            e.key_line,
                            "unknown key (ignored)",
                        );
                    } else if !e.value.is_null() {
                        keep.push(e);
                    }
                }
                v.visit_map(MapAcc {
                    entries: keep,
                    pos: 0,
                    de: &self,
                })
            }
            _ => {
                self.type_error("a mapping");
                v.visit_map(MapAcc {
                    entries: Vec::new(),
                    pos: 0,
                    de: &self,
                })
            }
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match &self.node.kind {
            NodeKind::Str(s) => v.visit_enum(s.as_str().into_deserializer()),
            _ => {
                self.type_error("a string");
                Err(DeError::Aborted)
            }
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_str(v)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        v.visit_unit()
    }
}

struct SeqAcc<'b, 'a, I> {
    items: I,
    de: &'b NodeDe<'a>,
}

impl<'de, 'b, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqAcc<'b, 'a, I> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        match self.items.next() {
            None => Ok(None),
            Some((i, node)) => {
                let path = format!("{}[{i}]", self.de.path);
                let r = seed.deserialize(self.de.child(node, path.clone()));
                self.de.wrap(node, &path, r).map(Some)
            }
        }
    }
}

struct MapAcc<'b, 'a> {
    entries: Vec<&'a crate::node::Entry>,
    pos: usize,
    de: &'b NodeDe<'a>,
}

impl<'de, 'b, 'a> de::MapAccess<'de> for MapAcc<'b, 'a> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(e) = self.entries.get(self.pos) else {
            return Ok(None);
        };
        seed.deserialize(e.key.as_str().into_deserializer())
            .map(Some)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, DeError> {
        let e = self.entries[self.pos];
        self.pos += 1;
        let path = child_path(&self.de.path, &e.key);
        let r = seed.deserialize(self.de.child(&e.value, path.clone()));
        self.de.wrap(&e.value, &path, r)
    }
}
