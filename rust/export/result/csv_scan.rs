//! The CSV columns of a structured result read straight from its JSON, without building
//! a value tree (a batch export scans every result before writing the header). Gives
//! the columns of `csv::for_each_column` for the parsed result; a result with a repeated
//! key, or that turns out to be free text, is left to the caller.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// Reused buffers: the names found in one result.
#[derive(Default)]
pub(crate) struct ColumnScan {
    fields: Names,
    others: Names,
    table: Names,
    has_table: bool,
    path: String,
    /// Keys of the objects being read (to spot a repeated key), as ranges of `key_text`.
    keys: Vec<(usize, usize)>,
    key_text: String,
    repeated_key: bool,
}

#[derive(Default)]
struct Names {
    names: Vec<String>,
    len: usize,
}

impl Names {
    fn clear(&mut self) {
        self.len = 0;
    }
    fn push(&mut self, name: &str) {
        if self.len < self.names.len() {
            self.names[self.len].clear();
            self.names[self.len].push_str(name);
        } else {
            self.names.push(name.to_owned());
        }
        self.len += 1;
    }
    fn truncate(&mut self, len: usize) {
        self.len = len;
    }
    fn iter(&self) -> impl Iterator<Item = &str> {
        self.names[..self.len].iter().map(String::as_str)
    }
}

/// What the scan of one result found.
pub(crate) enum Scanned {
    /// A structured result: its columns were passed to the callback.
    Structured,
    /// Free text, or a result the scan cannot read alone (a repeated key): parse it.
    Other,
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Null,
    Str,
    Array,
    Other,
}

impl ColumnScan {
    /// Reads `json` (not blank) and calls `f(column)` for each column of the structured
    /// result it holds.
    pub fn scan(&mut self, json: &[u8], f: &mut impl FnMut(&str)) -> serde_json::Result<Scanned> {
        self.fields.clear();
        self.others.clear();
        self.table.clear();
        self.has_table = false;
        self.keys.clear();
        self.key_text.clear();
        self.repeated_key = false;
        let mut de = serde_json::Deserializer::from_slice(json);
        let structured = Top(self).deserialize(&mut de)?;
        de.end()?;
        if !structured || self.repeated_key {
            return Ok(Scanned::Other);
        }
        for n in self.fields.iter().chain(self.others.iter()).chain(self.table.iter()) {
            f(n);
        }
        Ok(Scanned::Structured)
    }

    /// Notes a key of the object whose keys start at `start`; false if it repeats one.
    fn key(&mut self, start: usize, key: &str) -> bool {
        let repeated = self.keys[start..].iter().any(|&(a, b)| &self.key_text[a..b] == key);
        let a = self.key_text.len();
        self.key_text.push_str(key);
        self.keys.push((a, self.key_text.len()));
        if repeated {
            self.repeated_key = true;
        }
        !repeated
    }

    fn end_object(&mut self, start: usize) {
        if let Some(&(a, _)) = self.keys.get(start) {
            self.key_text.truncate(a);
        }
        self.keys.truncate(start);
    }
}

/// The whole result: true if it is structured.
struct Top<'s>(&'s mut ColumnScan);

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        self.0.fields.push("value");
        Ok(true)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        self.visit_bool(true)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        self.visit_bool(true)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        self.visit_bool(true)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        self.visit_bool(true)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.0.fields.push("value");
        Ok(true)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let s = self.0;
        let (mut meta, mut pages_array, mut text_ok) = (false, false, true);
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let key = key.as_str();
            s.key(0, key);
            if key == "_meta" {
                meta = true;
                map.next_value::<IgnoredAny>()?;
                continue;
            }
            let kind = map.next_value_seed(Field { s: &mut *s, name: key })?;
            if key == "pages" {
                pages_array = kind == Kind::Array;
            } else if key == "text" {
                text_ok = kind == Kind::Str;
            }
        }
        Ok(meta || !pages_array || !text_ok)
    }
}

/// A key, borrowed when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl Key<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

impl<'de> de::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(v.into()))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(v.to_owned().into()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A top-level field: flattened if an object, a table if an array of objects.
struct Field<'s, 'k> {
    s: &'s mut ColumnScan,
    name: &'k str,
}

impl<'de> DeserializeSeed<'de> for Field<'_, '_> {
    type Value = Kind;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Kind, D::Error> {
        d.deserialize_any(self)
    }
}

macro_rules! leaf {
    ($kind:expr) => {{
        move |this: Field| {
            this.s.fields.push(this.name);
            $kind
        }
    }};
}

impl<'de> Visitor<'de> for Field<'_, '_> {
    type Value = Kind;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Kind, E> {
        Ok(leaf!(Kind::Null)(self))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Kind, E> {
        Ok(leaf!(Kind::Other)(self))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Kind, E> {
        Ok(leaf!(Kind::Other)(self))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Kind, E> {
        Ok(leaf!(Kind::Other)(self))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Kind, E> {
        Ok(leaf!(Kind::Other)(self))
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Kind, E> {
        Ok(leaf!(Kind::Str)(self))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Kind, A::Error> {
        let s = self.s;
        s.path.clear();
        s.path.push_str(self.name);
        flatten_map(s, 0, map, false)?;
        Ok(Kind::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Kind, A::Error> {
        let s = self.s;
        let collect = !s.has_table;
        let start = s.table.len;
        let (mut n, mut all_objects) = (0, true);
        loop {
            let item = Item { s: &mut *s, collect: collect && all_objects, table: self.name };
            match seq.next_element_seed(item)? {
                None => break,
                Some(is_object) => {
                    n += 1;
                    all_objects &= is_object;
                }
            }
        }
        if n > 0 && all_objects {
            if collect {
                s.has_table = true;
            } else {
                s.others.push(self.name);
            }
        } else {
            s.table.truncate(start);
            s.fields.push(self.name);
        }
        Ok(Kind::Array)
    }
}

/// An item of a top-level array: true if it is an object; its flattened keys are added
/// to the table columns (as `<table>.<key>`) when `collect`.
struct Item<'s, 't> {
    s: &'s mut ColumnScan,
    collect: bool,
    table: &'t str,
}

impl<'de> DeserializeSeed<'de> for Item<'_, '_> {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Item<'_, '_> {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<bool, A::Error> {
        let s = self.s;
        s.path.clear();
        s.path.push_str(self.table);
        s.path.push('.');
        let base = s.path.len();
        flatten_map(s, base, map, !self.collect)?;
        Ok(true)
    }
}

/// Flattens an object under `s.path` (`base`: where the relative prefix starts); each
/// leaf goes to the fields, or the table columns when `base > 0` (nothing when `skip`).
fn flatten_map<'de, A: MapAccess<'de>>(
    s: &mut ColumnScan,
    base: usize,
    mut map: A,
    skip: bool,
) -> Result<(), A::Error> {
    let start = s.keys.len();
    let mut n = 0;
    while let Some(key) = map.next_key::<Key<'de>>()? {
        let key = key.as_str();
        n += 1;
        s.key(start, key);
        let len = s.path.len();
        if len > base {
            s.path.push('.');
        }
        s.path.push_str(key);
        map.next_value_seed(Nested { s: &mut *s, base, skip })?;
        s.path.truncate(len);
    }
    s.end_object(start);
    if n == 0 {
        leaf(s, base, skip);
    }
    Ok(())
}

fn leaf(s: &mut ColumnScan, base: usize, skip: bool) {
    if skip {
        return;
    }
    if base > 0 {
        s.table.push(&s.path);
    } else {
        s.fields.push(&s.path);
    }
}

/// A value inside a flattened object: objects flatten further, anything else is a leaf.
struct Nested<'s> {
    s: &'s mut ColumnScan,
    base: usize,
    skip: bool,
}

impl<'de> DeserializeSeed<'de> for Nested<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Nested<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        leaf(self.s, self.base, self.skip);
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        self.visit_unit()
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        flatten_map(self.s, self.base, map, self.skip)
    }
}
