using Microsoft.Extensions.Logging;

namespace Cobalt.Service.Loops;

/// <summary>The service's log messages about loops' faults (source-generated).</summary>
internal static partial class ServiceLog
{
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
