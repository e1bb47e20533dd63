// Generated once by `{{ ws.command }}`; from now on this file is yours: protogen never
// overwrites it.
//! Handlers of the events this server subscribes to (`subscribes` in protogen.toml's `[events]`;
//! add a subject there and run `protogen sync` for its stub). Each stub fails the build until
//! you write its body (`--features allow-unimplemented` makes it fail at run time instead).
//! Return `Ok(())` once the event is handled; an `Err` (any error, with `?`, or a message with
//! `.into()`) has it redelivered with backoff, and after `--event-max-attempts` dead-lettered.
//! Publish events from any handler with `{{ ws.api_ident }}::events::publish(&event).await?`.

use {{ ws.api_ident }}::events::Subscriber;

/// Handles the events this server subscribes to. Put the state the handlers share in here.
#[derive(Debug, Default)]
pub struct Subscribers {}

impl Subscriber for Subscribers {
{%- for event in ws.subscribed_events() %}
{%- if !loop.first %}
{% endif %}
    // {{ event.subject }}: {{ event.message }} ({{ event.file }})
    async fn {{ event.handler }}(
        &self,
        event: {{ ws.api_ident }}::{{ event.rust_path }},
        metadata: {{ ws.api_ident }}::runtime::events::Metadata,
    ) -> Result<(), {{ ws.api_ident }}::runtime::BoxError> {
        let _ = (event, metadata);
        {{ ws.api_ident }}::unimplemented_event!("{{ event.subject }}", "{{ event.message }}")
    }
{%- endfor %}
}
