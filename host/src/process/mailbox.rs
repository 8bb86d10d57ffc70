//! A process's mailbox: what other processes and the host have delivered and the process has not
//! yet taken. Senders push and return at once; the process takes everything queued in one batch
//! when it waits (`process.receive` in `wit/process.wit`), so a burst of messages costs one
//! export call, not one each. One queue keeps each sender's messages in the order sent.
//!
//! Messages are bounded ([`MAX_QUEUED`]) so a flood cannot exhaust the host; lifecycle events
//! (EXIT, LINK_DOWN, CANCEL) are never refused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use rmpv::Value;
use tokio::sync::Notify;

/// Messages a mailbox holds before sends to it fail.
pub const MAX_QUEUED: usize = 100_000;

pub enum Delivery {
    Message {
        topic: String,
        from: Option<Arc<str>>,
        /// The sent values, a MessagePack array, passed through without decoding.
        values: Vec<u8>,
    },
    Event(Value),
}

#[derive(Default)]
pub struct Mailbox {
    queue: Mutex<VecDeque<Delivery>>,
    ready: Notify,
}

impl Mailbox {
    /// Queue a message; false when the mailbox is full.
    pub fn push_message(&self, message: Delivery) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if queue.len() >= MAX_QUEUED {
            return false;
        }
        queue.push_back(message);
        drop(queue);
        self.ready.notify_one();
        true
    }

    pub fn push_event(&self, event: Value) {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.push_back(Delivery::Event(event));
        drop(queue);
        self.ready.notify_one();
    }

    /// Wait until something is queued, then take all of it as the values of the guest's
    /// `receive`: a MessagePack array holding one array of deliveries.
    pub async fn take_batch(self: Arc<Self>) -> Vec<u8> {
        loop {
            let batch: Vec<Delivery> = self
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .drain(..)
                .collect();
            if !batch.is_empty() {
                return encode_batch(&batch);
            }
            // A push between the drain and here leaves a permit, so this returns at once.
            self.ready.notified().await;
        }
    }
}

const MESSAGE: u8 = 1;
const EVENT: u8 = 2;

/// The values of `receive` for `batch`: a MessagePack array holding one array of deliveries.
pub fn encode_batch(batch: &[Delivery]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + batch.len() * 32);
    write_array_len(&mut out, 1);
    write_array_len(&mut out, batch.len());
    for delivery in batch {
        match delivery {
            Delivery::Message {
                topic,
                from,
                values,
            } => {
                write_array_len(&mut out, 4);
                rmp::encode::write_uint(&mut out, MESSAGE.into()).expect("writing to a Vec");
                rmp::encode::write_str(&mut out, topic).expect("writing to a Vec");
                match from {
                    Some(from) => rmp::encode::write_str(&mut out, from).expect("writing to a Vec"),
                    None => rmp::encode::write_nil(&mut out).expect("writing to a Vec"),
                }
                // Already a complete MessagePack value: it becomes the delivery's fourth item.
                out.extend_from_slice(values);
            }
            Delivery::Event(event) => {
                write_array_len(&mut out, 2);
                rmp::encode::write_uint(&mut out, EVENT.into()).expect("writing to a Vec");
                rmpv::encode::write_value(&mut out, event).expect("writing to a Vec");
            }
        }
    }
    out
}

fn write_array_len(out: &mut Vec<u8>, len: usize) {
    let len = u32::try_from(len).expect("fewer than 2^32 deliveries");
    rmp::encode::write_array_len(out, len).expect("writing to a Vec");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{decode_values, encode_values};

    #[tokio::test]
    async fn a_batch_is_every_delivery_in_order() {
        let mailbox = Arc::new(Mailbox::default());
        for n in 0..3 {
            assert!(mailbox.push_message(Delivery::Message {
                topic: "t".into(),
                from: Some("{h|1}".into()),
                values: encode_values(vec![Value::from(n)]),
            }));
        }
        mailbox.push_event(Value::from("exit"));
        let values = decode_values(&mailbox.clone().take_batch().await).unwrap();
        let Value::Array(batch) = &values[0] else {
            panic!("{values:?}")
        };
        assert_eq!(batch.len(), 4);
        assert_eq!(
            batch[2],
            Value::Array(vec![
                Value::from(1),
                Value::from("t"),
                Value::from("{h|1}"),
                Value::Array(vec![Value::from(2)])
            ])
        );
        assert_eq!(
            batch[3],
            Value::Array(vec![Value::from(2), Value::from("exit")])
        );
    }
}
