namespace ApimDr.Emulator.Hosting;

/// <summary>
/// The emulator's notion of "now" for backup ages: real UTC time plus an offset tests can advance.
/// Tokens and operation durations use real time (clients compare them with their own clock).
/// </summary>
public sealed class EmulatorClock
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
    public DateTimeOffset UtcNow => DateTimeOffset.UtcNow + Offset;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);
    public void Reset() => Interlocked.Exchange(ref _offsetTicks, 0);
}
