//! Typed data that kinds and modules hand to a sandbox, so the engine carries it without knowing
//! it: the app a call runs in, the process a sandbox is, the HTTP exchange it answers, the hosts
//! and databases its entry was granted. At most one value per type; whoever defines the type
//! reads it back.
//!
//! ```
//! use std::sync::Arc;
//! use luabox::engine::Extensions;
//! struct Depth(u32);
//! let data = Extensions::default().with(Arc::new(Depth(2)));
//! assert_eq!(data.get::<Depth>().map(|d| d.0), Some(2));
//! ```

use std::any::{Any, TypeId};
use std::sync::Arc;

/// Shared, immutable values keyed by their type. Cloning copies a few pointers: a sandbox takes
/// its caller's and its invocation's.
#[derive(Clone, Default)]
pub struct Extensions(Vec<(TypeId, Arc<dyn Any + Send + Sync>)>);

impl Extensions {
    /// Set the value of type `T`, replacing one set before.
    pub fn insert<T: Any + Send + Sync>(&mut self, value: Arc<T>) {
        let key = TypeId::of::<T>();
        match self.0.iter_mut().find(|(id, _)| *id == key) {
            Some(slot) => slot.1 = value,
            None => self.0.push((key, value)),
        }
    }

    /// These extensions with `value` set.
    pub fn with<T: Any + Send + Sync>(mut self, value: Arc<T>) -> Self {
        self.insert(value);
        self
    }

    /// The value of type `T`, if one was set.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.entry::<T>()?.downcast_ref()
    }

    /// A shared handle on the value of type `T`, if one was set.
    pub fn get_arc<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.entry::<T>()?.clone().downcast().ok()
    }

    /// Add every value of `other`, replacing those of the same type.
    pub fn extend(&mut self, other: &Extensions) {
        for (key, value) in &other.0 {
            match self.0.iter_mut().find(|(id, _)| id == key) {
                Some(slot) => slot.1 = value.clone(),
                None => self.0.push((*key, value.clone())),
            }
        }
    }

    fn entry<T: Any>(&self) -> Option<&Arc<dyn Any + Send + Sync>> {
        let key = TypeId::of::<T>();
        self.0.iter().find(|(id, _)| *id == key).map(|(_, v)| v)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Extensions({} values)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_value_per_type_and_later_values_win() {
        let mut data = Extensions::default().with(Arc::new(1u32));
        data.insert(Arc::new(2u32));
        data.insert(Arc::new("text"));
        assert_eq!(data.get::<u32>(), Some(&2));
        assert_eq!(data.get::<&str>(), Some(&"text"));
        assert!(data.get::<u64>().is_none());
        let mut merged = Extensions::default()
            .with(Arc::new(7u32))
            .with(Arc::new(9u64));
        merged.extend(&data);
        assert_eq!(merged.get::<u32>(), Some(&2));
        assert_eq!(merged.get_arc::<u64>().as_deref(), Some(&9));
    }
}
