//! Generic, location-aware value tree.
//!
//! Every configuration file is first parsed into a [`Node`] tree (YAML through
//! `serde-saphyr`, JSON through `serde_json`). Each node remembers the 1-based line and
//! column where it appears in the source (YAML only; JSON nodes carry line 0 = unknown),
//! and every mapping entry also remembers the line of its *key*. This is how type errors
//! and unknown-key warnings name the exact line: `serde_saphyr::Spanned` is used while
//! building the tree, so no text scanning is needed.
//!
//! Mapping order is preserved, which lets the tree be re-emitted as YAML (the
//! `--filter` output of `homodyne-config`) in the order of the source file.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_saphyr::Spanned;
use std::fmt;

/// One mapping entry: key, line of the key, value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The key (non-string YAML keys are rendered to text).
    pub key: String,
    /// 1-based line of the key (0 = unknown).
    pub key_line: u64,
    /// The value node.
    pub value: Node,
}

/// The payload of a [`Node`].
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `null`, `~` or an empty value.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    /// A floating-point number (also integers beyond `i64`).
    Float(f64),
    /// A string.
    Str(String),
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order.
    Map(Vec<Entry>),
}

/// A value with its source location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// 1-based source line (0 = unknown, e.g. JSON input or synthesised nodes).
    pub line: u64,
    /// 1-based source column (0 = unknown).
    pub col: u64,
}

impl Node {
    /// A node without location.
    pub(crate) fn new(kind: NodeKind) -> Self {
        Node {
            kind,
            line: 0,
            col: 0,
        }
    }

    /// An empty mapping without location.
    pub(crate) fn empty_map() -> Self {
        Node::new(NodeKind::Map(Vec::new()))
    }

    /// Short human description of the node's type ("a string \"abc\"", "a mapping", ...).
    pub fn describe(&self) -> String {
        match &self.kind {
            NodeKind::Null => "null".into(),
            NodeKind::Bool(b) => format!("the boolean {b}"),
            NodeKind::Int(i) => format!("the integer {i}"),
            NodeKind::Float(f) => format!("the number {f}"),
            NodeKind::Str(s) => {
                let short: String = s.chars().take(40).collect();
                format!("the string \"{short}\"")
            }
            NodeKind::Seq(_) => "a list".into(),
            NodeKind::Map(_) => "a mapping".into(),
        }
    }

    /// True for `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    /// Mapping entries, if this is a mapping.
    pub fn entries(&self) -> Option<&[Entry]> {
        match &self.kind {
            NodeKind::Map(e) => Some(e),
            _ => None,
        }
    }

    /// Mutable mapping entries, if this is a mapping.
    pub(crate) fn entries_mut(&mut self) -> Option<&mut Vec<Entry>> {
        match &mut self.kind {
            NodeKind::Map(e) => Some(e),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// Mutable value under `key` of a mapping.
    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries_mut()?
            .iter_mut()
            .find(|e| e.key == key)
            .map(|e| &mut e.value)
    }

    /// The entry under `key` of a mapping.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        self.entries()?.iter().find(|e| e.key == key)
    }

    /// Follow a dotted path of mapping keys (`"optimization.nlsq.loss"`).
    pub fn get_path(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |n, k| n.get(k))
    }

    /// Remove `key` from a mapping, returning its entry.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Entry> {
        let entries = self.entries_mut()?;
        let idx = entries.iter().position(|e| e.key == key)?;
        Some(entries.remove(idx))
    }

    /// Insert or replace `key` in a mapping (appends new keys at the end).
    /// Does nothing if `self` is not a mapping.
    pub(crate) fn insert(&mut self, key: &str, key_line: u64, value: Node) {
        if let Some(entries) = self.entries_mut() {
            if let Some(e) = entries.iter_mut().find(|e| e.key == key) {
                e.value = value;
            } else {
                entries.push(Entry {
                    key: key.to_string(),
                    key_line,
                    value,
                });
            }
        }
    }

    /// Get the child mapping under `key`, creating an empty one when absent.
    /// Returns `None` if `self` is not a mapping or the child exists but is not a mapping.
    pub(crate) fn child_map_mut(&mut self, key: &str) -> Option<&mut Node> {
        let exists = self.get(key).is_some();
        if !exists {
            self.insert(key, 0, Node::empty_map());
        } else if self.get(key).is_some_and(Node::is_null) {
            let line = self.get(key).map_or(0, |n| n.line);
            let mut m = Node::empty_map();
            m.line = line;
            self.insert(key, 0, m);
        }
        let child = self.get_mut(key)?;
        child.entries().is_some().then_some(child)
    }

    /// Scalar as f64 (ints and floats, and numeric strings).
    pub fn as_f64(&self) -> Option<f64> {
        match &self.kind {
            NodeKind::Int(i) => Some(*i as f64),
            NodeKind::Float(f) => Some(*f),
            NodeKind::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Scalar as string (strings only).
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Convert to a `serde_json::Value` (mapping order follows serde_json's map).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.kind {
            NodeKind::Null => Value::Null,
            NodeKind::Bool(b) => Value::Bool(*b),
            NodeKind::Int(i) => Value::from(*i),
            NodeKind::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeKind::Str(s) => Value::String(s.clone()),
            NodeKind::Seq(v) => Value::Array(v.iter().map(Node::to_json).collect()),
            NodeKind::Map(e) => Value::Object(
                e.iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// Build a tree (without locations) from a `serde_json::Value`.
    pub(crate) fn from_json(v: &serde_json::Value) -> Node {
        use serde_json::Value;
        Node::new(match v {
            Value::Null => NodeKind::Null,
            Value::Bool(b) => NodeKind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeKind::Int(i),
                None => NodeKind::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeKind::Str(s.clone()),
            Value::Array(a) => NodeKind::Seq(a.iter().map(Node::from_json).collect()),
            Value::Object(o) => NodeKind::Map(
                o.iter()
                    .map(|(k, v)| Entry {
                        key: k.clone(),
                        key_line: 0,
                        value: Node::from_json(v),
                    })
                    .collect(),
            ),
        })
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = Spanned::<NodeKind>::deserialize(d)?;
        Ok(Node {
            kind: s.value,
            line: s.referenced.line(),
            col: s.referenced.column(),
        })
    }
}

/// A mapping key: any scalar, rendered to text.
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let kind = NodeKind::deserialize(d)?;
        Ok(Key(match kind {
            NodeKind::Null => "null".into(),
            NodeKind::Bool(b) => b.to_string(),
            NodeKind::Int(i) => i.to_string(),
            NodeKind::Float(f) => f.to_string(),
            NodeKind::Str(s) => s,
            NodeKind::Seq(_) | NodeKind::Map(_) => {
                return Err(de::Error::custom("complex mapping keys are not supported"));
            }
        }))
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = NodeKind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_none<E>(self) -> Result<NodeKind, E> {
        Ok(NodeKind::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<NodeKind, D::Error> {
        NodeKind::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<NodeKind, E> {
        Ok(NodeKind::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<NodeKind, E> {
        Ok(NodeKind::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<NodeKind, E> {
        Ok(i64::try_from(v).map_or(NodeKind::Float(v as f64), NodeKind::Int))
    }
    fn visit_i128<E>(self, v: i128) -> Result<NodeKind, E> {
        Ok(i64::try_from(v).map_or(NodeKind::Float(v as f64), NodeKind::Int))
    }
    fn visit_u128<E>(self, v: u128) -> Result<NodeKind, E> {
        Ok(i64::try_from(v).map_or(NodeKind::Float(v as f64), NodeKind::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<NodeKind, E> {
        Ok(NodeKind::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<NodeKind, E> {
        Ok(NodeKind::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<NodeKind, E> {
        Ok(NodeKind::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<NodeKind, A::Error> {
        let mut out = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            out.push(n);
        }
        Ok(NodeKind::Seq(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<NodeKind, A::Error> {
        let mut out: Vec<Entry> = Vec::new();
        while let Some(k) = map.next_key::<Spanned<Key>>()? {
            let value = map.next_value::<Node>()?;
            let key = k.value.0;
            // A repeated key is recorded (the loader reports it as an error naming both
            // lines); the tree keeps the later value, as PyYAML would.
            if let Some(e) = out.iter_mut().find(|e| e.key == key) {
                DUPLICATES.with(|d| {
                    d.borrow_mut().push(DuplicateKey {
                        key: key.clone(),
                        first_line: e.key_line,
                        line: k.referenced.line(),
                        path: String::new(),
                    })
                });
                e.value = value;
                e.key_line = k.referenced.line();
            } else {
                out.push(Entry {
                    key,
                    key_line: k.referenced.line(),
                    value,
                });
            }
        }
        Ok(NodeKind::Map(out))
    }
}

impl<'de> Deserialize<'de> for NodeKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(KindVisitor)
    }
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.kind {
            NodeKind::Null => s.serialize_unit(),
            NodeKind::Bool(b) => s.serialize_bool(*b),
            NodeKind::Int(i) => s.serialize_i64(*i),
            NodeKind::Float(f) => s.serialize_f64(*f),
            NodeKind::Str(v) => s.serialize_str(v),
            NodeKind::Seq(v) => {
                let mut seq = s.serialize_seq(Some(v.len()))?;
                for n in v {
                    seq.serialize_element(n)?;
                }
                seq.end()
            }
            NodeKind::Map(e) => {
                let mut map = s.serialize_map(Some(e.len()))?;
                for en in e {
                    map.serialize_entry(&en.key, &en.value)?;
                }
                map.end()
            }
        }
    }
}

/// Line of the key at a dotted path (`a.b[2].c`), 0 when unknown.
pub(crate) fn line_of(tree: &Node, path: &str) -> u64 {
    let mut node = tree;
    let mut line = 0;
    for part in path.split('.') {
        let (key, idx) = match part.split_once('[') {
            Some((k, rest)) => (k, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        let Some(e) = node.entry(key) else {
            return line;
        };
        line = e.key_line;
        node = &e.value;
        if let Some(i) = idx {
            match &node.kind {
                NodeKind::Seq(v) if i < v.len() => {
                    node = &v[i];
                    line = node.line;
                }
                _ => return line,
            }
        }
    }
    line
}

/// A key written twice in one mapping (YAML requires unique keys; PyYAML silently keeps
/// the later value, which turned e.g. a second `analysis_mode:` into a silent mode switch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DuplicateKey {
    /// The repeated key.
    pub(crate) key: String,
    /// 1-based line of its first occurrence (0 = unknown).
    pub(crate) first_line: u64,
    /// 1-based line of the repetition (0 = unknown).
    pub(crate) line: u64,
    /// Dotted path of the key in the source tree (filled by [`parse_yaml`]; the bare key
    /// when it cannot be located).
    pub(crate) path: String,
}

thread_local! {
    /// Duplicates met while building one tree (the visitor has no other way out).
    static DUPLICATES: std::cell::RefCell<Vec<DuplicateKey>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Parser options: `.inf`/`.nan` and YAML 1.1 booleans such as `yes`/`no` accepted
/// (PyYAML-compatible); repeated keys are passed to the tree builder, which records
/// them so the loader can report both lines.
fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        non_finite_float_policy: serde_saphyr::NonFiniteFloatPolicy::PassThrough,
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
    }
}

/// Parse YAML text into a tree, with every repeated mapping key found (the tree keeps
/// the later value). An empty document gives `Null`.
pub(crate) fn parse_yaml(text: &str) -> Result<(Node, Vec<DuplicateKey>), serde_saphyr::Error> {
    DUPLICATES.with(|d| d.borrow_mut().clear());
    let tree: Result<Node, _> = serde_saphyr::from_str_with_options(text, yaml_options());
    let mut duplicates = DUPLICATES.with(|d| std::mem::take(&mut *d.borrow_mut()));
    let tree = tree?;
    for dup in &mut duplicates {
        dup.path = path_of_key(&tree, &dup.key, dup.line).unwrap_or_else(|| dup.key.clone());
    }
    Ok((tree, duplicates))
}

/// Dotted path (`a.b[2].c`) of the mapping entry `key` written at `line`, if any.
fn path_of_key(node: &Node, key: &str, line: u64) -> Option<String> {
    match &node.kind {
        NodeKind::Map(entries) => entries.iter().find_map(|e| {
            if e.key == key && e.key_line == line {
                return Some(e.key.clone());
            }
            path_of_key(&e.value, key, line).map(|rest| {
                if rest.starts_with('[') {
                    format!("{}{rest}", e.key)
                } else {
                    format!("{}.{rest}", e.key)
                }
            })
        }),
        NodeKind::Seq(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, n)| path_of_key(n, key, line).map(|rest| format!("[{i}].{rest}"))),
        _ => None,
    }
}
