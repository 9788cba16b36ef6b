/// What a `StackRuntime` counted while serving its contexts.
package struct RuntimeStatistics: Sendable, Equatable {
    /// Flow events not posted because the flow was not open to an application (yet, or any more).
    package var heldFlowEvents: UInt64 = 0
    /// Completions that found an event queue full and waited in the outbox.
    package var deferredCompletions: UInt64 = 0
    /// The most completions that waited for room for one context at once (bounded: a context's
    /// requests are not taken while its completions wait, `SlowPathContextService.outboxLimit`).
    package var largestOutbox = 0
    /// Idle sleeps: on the port's readiness descriptor and the contexts' service signal together,
    /// or (a port without descriptor) in slices on the port.
    package var idleWaits: UInt64 = 0
    package var idleSliceWaits: UInt64 = 0
    /// Rounds of the one-thread schedules that found nothing arrived and nothing due and only
    /// polled the port (`OneThreadRound`'s quiet rounds).
    package var quietRounds: UInt64 = 0
    /// CPU time the runtime's threads used from their start to their end (CLOCK_THREAD_CPUTIME_ID),
    /// summed over the threads (as `idleWaits` counts every thread's sleeps); 0 when caller-driven.
    package var threadCPUNanoseconds: UInt64 = 0
    /// With a separate slow path: commands the fast path could not carry out (an install that
    /// failed), and commands still waiting for room in the command ring when read.
    package var failedCommands: UInt64 = 0
    package var waitingCommands: UInt64 = 0
    /// With a separate slow path: notices of the fast path still waiting for room when read.
    package var waitingNotices: UInt64 = 0
    /// With a separate slow path, frames dropped between the threads: exception frames that found
    /// their ring full (or were longer than its slots), slow-path frames that found the port full,
    /// frames handed back for reprocessing that found no room, and those the fast path still could
    /// not handle. The peers' retransmissions recover them.
    package var exceptionDrops: UInt64 = 0
    package var forwardDrops: UInt64 = 0
    package var reprocessDrops: UInt64 = 0
    package var reprocessExceptions: UInt64 = 0
    package init() {}
}
