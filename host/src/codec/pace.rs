//! How long work on the host goes between looks at the sandbox's deadline: a conversion (JSON
//! or YAML text to MessagePack and back) asks its `go_on` callback once every
//! [`VALUES_PER_CHECK`] values, since the epoch deadline cannot interrupt host code.

/// How many values a conversion handles between two calls of its `go_on` callback.
pub const VALUES_PER_CHECK: u32 = 1 << 16;

/// Counts values and asks `go_on` whether to continue once every [`VALUES_PER_CHECK`].
pub struct Pace<'a> {
    until_check: u32,
    go_on: &'a mut dyn FnMut() -> bool,
}

impl<'a> Pace<'a> {
    pub fn new(go_on: &'a mut dyn FnMut() -> bool) -> Self {
        Pace {
            until_check: VALUES_PER_CHECK,
            go_on,
        }
    }

    /// Count one value; false when `go_on` says to stop.
    pub fn step(&mut self) -> bool {
        self.until_check -= 1;
        if self.until_check > 0 {
            return true;
        }
        self.until_check = VALUES_PER_CHECK;
        (self.go_on)()
    }
}

/// Writing MessagePack to a `Vec` cannot fail.
pub fn written<E: std::fmt::Debug>(result: Result<(), E>) {
    debug_assert!(result.is_ok(), "{result:?}");
}
