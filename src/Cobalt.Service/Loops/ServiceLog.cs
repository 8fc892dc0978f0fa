using Microsoft.Extensions.Logging;

namespace Cobalt.Service.Loops;

/// <summary>
/// The service's log messages (source-generated <see cref="LoggerMessageAttribute"/>): loops' life cycle (created, changed,
/// deleted, checkpointed), their faults (damaged events, quarantine), the event store going unavailable and recovering,
/// and the learner falling behind. Every message about a loop carries its name as the structured field <c>Loop</c>.
/// </summary>
internal static partial class ServiceLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "Loop '{Loop}' created with policy {Policy}")]
    public static partial void LoopCreated(ILogger logger, string loop, string policy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loop '{Loop}' checkpointed through log sequence {Sequence} ({Bytes} bytes)")]
    public static partial void Checkpointed(ILogger logger, string loop, long sequence, int bytes);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loop '{Loop}' is quarantined: {Problem}; it ranks with its last good model (completion {Sequence}) and learns no more until the service restarts")]
    public static partial void LoopQuarantined(ILogger logger, string loop, string problem, long sequence);

    [LoggerMessage(Level = LogLevel.Error, Message = "The event store is unavailable: {Problem}")]
    public static partial void StoreUnavailable(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "The event store answers again after {Seconds:F1} s")]
    public static partial void StoreRecovered(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The learner is behind: no full pass for {LagSeconds:F1} s (threshold {ThresholdSeconds:F0} s)")]
    public static partial void LearnerLagging(ILogger logger, double lagSeconds, double thresholdSeconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The learner caught up (lag {LagSeconds:F1} s)")]
    public static partial void LearnerCaughtUp(ILogger logger, double lagSeconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Loop '{Loop}' did not learn this pass: {Problem}")]
    public static partial void StoreSkipped(ILogger logger, string loop, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Loop '{Loop}' skipped a damaged event: {Damage}")]
    public static partial void DamagedEvent(ILogger logger, string loop, string damage);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Problem}")]
    public static partial void LoopFault(ILogger logger, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loop '{Loop}' changed; its definition is now {Definition}")]
    public static partial void LoopChanged(ILogger logger, string loop, string definition);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loop '{Loop}': {What}")]
    public static partial void LoopLifeCycle(ILogger logger, string loop, string what);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loop '{Loop}': log retention deleted {Events} finished event(s) older than {Days} day(s)")]
    public static partial void RetentionDeleted(ILogger logger, string loop, long events, double days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    public static partial void LoopWarning(ILogger logger, string problem);
}
