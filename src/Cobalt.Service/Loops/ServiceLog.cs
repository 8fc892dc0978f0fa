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

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Problem}")]
    public static partial void LoopWarning(ILogger logger, string problem);
}
