/**
 * The longest wait Node's timers honour: setTimeout/setInterval turn any delay above 2^31 − 1 ms
 * (about 24.8 days) into 1 ms, so a longer millisecond option would fire at once, in a loop.
 * Every millisecond option is checked against this maximum and refused above it, naming it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The maximum as option messages print it. */
export const MAX_TIMER_TEXT = `${MAX_TIMER_MS} (about 24.8 days, the longest delay Node's timers honour)`;
