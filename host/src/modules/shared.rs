//! App-wide state that a module keeps for itself (the event bus, for one): one value per type,
//! made on first use. The app holds one [`Shared`] and hands it out through
//! [`super::AppServices::shared`], so a module with app-wide state needs no field in the app.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Shared(Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>);

impl Shared {
    /// The app's value of type `T`, made with `T::default()` the first time it is asked for.
    pub fn get<T: Default + Any + Send + Sync>(&self) -> Arc<T> {
        let mut values = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let value = values
            .entry(TypeId::of::<T>())
            .or_insert_with(|| Arc::new(T::default()))
            .clone();
        value
            .downcast()
            .unwrap_or_else(|_| unreachable!("values are keyed by their own type"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn one_value_per_type_made_once() {
        let shared = Shared::default();
        shared.get::<AtomicU32>().fetch_add(2, Ordering::Relaxed);
        shared.get::<AtomicU32>().fetch_add(3, Ordering::Relaxed);
        assert_eq!(shared.get::<AtomicU32>().load(Ordering::Relaxed), 5);
        assert!(shared.get::<Mutex<String>>().lock().unwrap().is_empty());
    }
}
