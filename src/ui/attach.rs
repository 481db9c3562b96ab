//! Images attached to the message being written: what the picker, a paste or a drop added,
//! each one processed (`crate::images`) in the background, shown as a thumbnail with a
//! remove button, or refused with a notice naming the file. Provided through context so the
//! whole chat can be a drop zone.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, DataTransfer};

use crate::images::{self, ProcessedImage};
use crate::session::ChatController;

#[derive(Clone, Debug, PartialEq)]
enum State {
    Processing,
    Ready(ProcessedImage),
}

#[derive(Clone, Debug, PartialEq)]
struct Item {
    id: u64,
    name: String,
    state: State,
}

#[derive(Clone, Debug, PartialEq)]
struct Notice {
    id: u64,
    text: String,
}

/// The attachments of the message being written (cheap to copy).
#[derive(Clone, Copy)]
pub struct Attachments {
    items: RwSignal<Vec<Item>>,
    refusals: RwSignal<Vec<Notice>>,
    next_id: StoredValue<u64>,
    /// Files are being dragged over the chat.
    pub dragging: RwSignal<bool>,
}

impl Attachments {
    /// Creates the attachments and provides them to the components below.
    pub fn provide() -> Self {
        let this = Self {
            items: RwSignal::new(Vec::new()),
            refusals: RwSignal::new(Vec::new()),
            next_id: StoredValue::new(1),
            dragging: RwSignal::new(false),
        };
        provide_context(this);
        this
    }

    fn new_id(&self) -> u64 {
        let id = self.next_id.get_value();
        self.next_id.set_value(id + 1);
        id
    }

    /// True while any image is still being processed (sending waits for it).
    pub fn processing(&self) -> bool {
        self.items
            .with(|items| items.iter().any(|i| i.state == State::Processing))
    }

    pub fn is_empty(&self) -> bool {
        self.items.with(Vec::is_empty)
    }

    /// The processed images, in the order they were attached.
    pub fn ready(&self) -> Vec<ProcessedImage> {
        self.items.with_untracked(|items| {
            items
                .iter()
                .filter_map(|i| match &i.state {
                    State::Ready(image) => Some(image.clone()),
                    State::Processing => None,
                })
                .collect()
        })
    }

    /// Empties the attachments and notices (after a message was sent).
    pub fn clear(&self) {
        self.items.set(Vec::new());
        self.refusals.set(Vec::new());
    }

    fn refuse(&self, text: String) {
        let id = self.new_id();
        self.refusals.update(|r| r.push(Notice { id, text }));
    }

    /// Adds files (picker, paste or drop): over the count limit each extra file is refused;
    /// the rest are processed one after another in the background.
    pub fn add(&self, controller: &ChatController, files: Vec<(Blob, String)>) {
        let options = controller
            .settings
            .with_untracked(|s| s.image_options.clone());
        let mut queue = Vec::new();
        for (blob, name) in files {
            let count = self.items.with_untracked(Vec::len);
            if options.check_count(count + 1).is_err() {
                self.refuse(images::too_many(&name, &options).to_string());
                continue;
            }
            let id = self.new_id();
            self.items.update(|items| {
                items.push(Item {
                    id,
                    name: name.clone(),
                    state: State::Processing,
                })
            });
            queue.push((id, blob, name));
        }
        if queue.is_empty() {
            return;
        }
        let this = *self;
        leptos::task::spawn_local(async move {
            for (id, blob, name) in queue {
                let result = images::process(&blob, &name, &options).await;
                match result {
                    Ok(image) => this.items.update(|items| {
                        if let Some(item) = items.iter_mut().find(|i| i.id == id) {
                            item.state = State::Ready(image);
                        }
                    }),
                    Err(refusal) => {
                        let attached = this
                            .items
                            .with_untracked(|items| items.iter().any(|i| i.id == id));
                        this.items.update(|items| items.retain(|i| i.id != id));
                        if attached {
                            this.refuse(refusal.to_string());
                        }
                    }
                }
            }
        });
    }

    /// Adds the files a paste or a drop carries; true when there were any.
    pub fn add_transfer(
        &self,
        controller: &ChatController,
        transfer: Option<DataTransfer>,
    ) -> bool {
        let files = transfer
            .and_then(|t| t.files())
            .map(files_of)
            .unwrap_or_default();
        if files.is_empty() {
            return false;
        }
        self.add(controller, files);
        true
    }
}

/// The files of a `FileList` with their names.
pub fn files_of(list: web_sys::FileList) -> Vec<(Blob, String)> {
    (0..list.length())
        .filter_map(|i| list.item(i))
        .map(|file| {
            let name = file.name();
            (file.unchecked_into::<Blob>(), name)
        })
        .collect()
}

impl Attachments {
    /// `dragover` on the chat: accepts files (not text or links being dragged).
    pub fn drag_over(&self, ev: &web_sys::DragEvent) {
        let Some(transfer) = ev.data_transfer() else {
            return;
        };
        if !transfer.types().includes(&"Files".into(), 0) {
            return;
        }
        ev.prevent_default();
        transfer.set_drop_effect("copy");
        self.dragging.set(true);
    }

    /// `dragleave` on the chat: the drag left the component.
    pub fn drag_leave(&self, ev: &web_sys::DragEvent) {
        if ev.related_target().is_none() {
            self.dragging.set(false);
        }
    }

    /// `drop` on the chat: attaches the dropped files.
    pub fn drop(&self, controller: &ChatController, ev: &web_sys::DragEvent) {
        self.dragging.set(false);
        if self.add_transfer(controller, ev.data_transfer()) {
            ev.prevent_default();
        }
    }
}

/// Thumbnails of the attached images, each with a remove button.
#[component]
pub fn Thumbnails() -> impl IntoView {
    let a = expect_context::<Attachments>();
    view! {
        <Show when=move || !a.is_empty()>
            <ul class="fc-attachments" aria-label="Attached images">
                <For each=move || a.items.get() key=|i| (i.id, i.state != State::Processing) let:item>
                    <Thumbnail item/>
                </For>
            </ul>
        </Show>
    }
}

#[component]
fn Thumbnail(item: Item) -> impl IntoView {
    let a = expect_context::<Attachments>();
    let id = item.id;
    let label = format!("Remove {}", item.name);
    let (picture, state) = match &item.state {
        State::Ready(image) => (
            view! {
                <img src=image.data_url.clone() alt=item.name.clone()
                    title=format!("{} — {}×{}", item.name, image.width, image.height)/>
            }
            .into_any(),
            "ready",
        ),
        State::Processing => (
            view! { <span class="fc-preparing" aria-label=format!("Preparing {}", item.name)>"…"</span> }
                .into_any(),
            "processing",
        ),
    };
    view! {
        <li class="fc-thumb" part="attachment" data-state=state>
            {picture}
            <button type="button" class="fc-remove" aria-label=label title="Remove"
                on:click=move |_| a.items.update(|items| items.retain(|i| i.id != id))>"×"</button>
        </li>
    }
}

/// Why files were not attached, one notice per file, each dismissable.
#[component]
pub fn Refusals() -> impl IntoView {
    let a = expect_context::<Attachments>();
    view! {
        <For each=move || a.refusals.get() key=|n| n.id let:notice>
            <p class="fc-notice fc-refusal" part="refusal" role="alert">
                <span>{notice.text.clone()}</span>
                <button type="button" class="fc-remove" aria-label="Dismiss"
                    on:click=move |_| a.refusals.update(|r| r.retain(|n| n.id != notice.id))>"×"</button>
            </p>
        </For>
    }
}
