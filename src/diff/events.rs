//! Events in the diff: subjects added, removed, renamed (the same message now on another
//! subject) or carrying another message, and the subject named on each payload change.

use std::collections::BTreeMap;

use super::{Change, ChangeKind, ElementKind, Location, Side, WHOLE};
use crate::contract::events::Event;

/// The changes to the events themselves, between the events `old` and `new` declare.
pub fn compare(old: &[Event], new: &[Event]) -> Vec<Change> {
    let by_subject = |events: &'_ [Event]| -> BTreeMap<String, Event> {
        events
            .iter()
            .map(|e| (e.subject.clone(), e.clone()))
            .collect()
    };
    let (old_subjects, new_subjects) = (by_subject(old), by_subject(new));
    let mut changes = Vec::new();
    let change = |kind, aspect, event: &Event, side| Change {
        kind,
        element_kind: ElementKind::Event,
        element: event.subject.clone(),
        old_element: None,
        aspect,
        old: None,
        new: None,
        location: Some(Location {
            path: event.file.clone(),
            line: event.line,
            column: 1,
            side,
        }),
        also: Vec::new(),
        event: None,
    };
    for (subject, before) in &old_subjects {
        match new_subjects.get(subject) {
            Some(after) if after.message != before.message => changes.push(Change {
                old: Some(before.message.clone()),
                new: Some(after.message.clone()),
                ..change(ChangeKind::Changed, "message", after, Side::New)
            }),
            Some(_) => {}
            None => {
                // The same message on a subject that is new: the subject was renamed.
                let renamed = new_subjects.values().find(|after| {
                    after.message == before.message && !old_subjects.contains_key(&after.subject)
                });
                changes.push(match renamed {
                    Some(after) => Change {
                        old_element: Some(subject.clone()),
                        old: Some(subject.clone()),
                        new: Some(after.subject.clone()),
                        ..change(ChangeKind::Renamed, "name", after, Side::New)
                    },
                    None => Change {
                        old: Some(before.message.clone()),
                        ..change(ChangeKind::Removed, WHOLE, before, Side::Old)
                    },
                });
            }
        }
    }
    for (subject, after) in &new_subjects {
        let renamed_from = changes
            .iter()
            .any(|c| c.kind == ChangeKind::Renamed && &c.element == subject);
        if !old_subjects.contains_key(subject) && !renamed_from {
            changes.push(Change {
                new: Some(after.message.clone()),
                ..change(ChangeKind::Added, WHOLE, after, Side::New)
            });
        }
    }
    changes
}

/// Names the event on each change to an event's payload (its message or anything in it),
/// the old side's subject for removals.
pub fn mark_payloads(changes: &mut [Change], old: &[Event], new: &[Event]) {
    for change in changes {
        if change.element_kind == ElementKind::Event {
            continue;
        }
        let events = if change.kind == ChangeKind::Removed {
            old
        } else {
            new
        };
        change.event = events
            .iter()
            .find(|e| {
                change.element == e.message
                    || change
                        .element
                        .strip_prefix(&e.message)
                        .is_some_and(|rest| rest.starts_with('.'))
            })
            .map(|e| e.subject.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(subject: &str, message: &str) -> Event {
        Event {
            subject: subject.into(),
            message: message.into(),
            file: "o.proto".into(),
            line: 3,
        }
    }

    #[test]
    fn subjects_added_removed_renamed_and_retyped() {
        let old = [
            event("orders.cancelled", "o.Cancelled"),
            event("orders.gone", "o.Gone"),
            event("orders.shipped", "o.Shipped"),
            event("orders.typed", "o.A"),
        ];
        let new = [
            event("orders.cancelled", "o.Cancelled"),
            event("orders.created", "o.Created"),
            event("orders.sent", "o.Shipped"),
            event("orders.typed", "o.B"),
        ];
        let described: Vec<String> = compare(&old, &new)
            .iter()
            .map(|c| c.describe(&|s: &str| format!("`{s}`")))
            .collect();
        assert_eq!(
            described,
            [
                "event `orders.gone` removed (was `o.Gone`)",
                "event `orders.shipped` renamed to `orders.sent`",
                "event `orders.typed`: message changed from `o.A` to `o.B`",
                "event `orders.created` added: `o.Created`",
            ]
        );
    }
}
