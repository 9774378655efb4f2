/**
 * What a task reports while it works. Any object with a `kind` is an event (the pipeline's task-started,
 * statement-timed, notice and warning events fit), so the control plane writes every field to the try's log
 * without knowing the pipeline's event catalogue.
 */
export interface TaskEvent {
  readonly kind: string;
}

/**
 * Where a task's events go. `emit` is generic so an object literal with extra fields is accepted as it is; a
 * sink of this type can be passed wherever the pipeline expects its own event sink.
 */
export interface TaskEventSink {
  emit<E extends TaskEvent>(event: E): void;
}

export const NO_TASK_EVENTS: TaskEventSink = { emit: () => undefined };
