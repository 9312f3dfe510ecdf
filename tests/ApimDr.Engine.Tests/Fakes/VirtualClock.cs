using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Time.Testing;

namespace ApimDr.Engine.Tests.Fakes
{
    /// <summary>
    /// FakeTimeProvider that knows which timers are armed and when they are due, so a test can jump
    /// straight to the next wake-up once every operation is asleep: hours of polling in milliseconds.
    /// </summary>
    public sealed class VirtualClock : FakeTimeProvider
    {
        public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

        private readonly object _gate = new();
        private readonly HashSet<TrackedTimer> _armed = new();

        public VirtualClock() : base(Epoch)
        {
        }

        public int ArmedTimers
        {
            get { lock (_gate) return _armed.Count; }
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new TrackedTimer(this, period);
            timer.Arm(dueTime);
            timer.Inner = base.CreateTimer(s => { timer.Fired(); callback(s); }, state, dueTime, period);
            return timer;
        }

        /// <summary>
        /// Drives <paramref name="task"/> to completion: waits (real time, briefly) until at least
        /// <paramref name="sleepers"/>() timers are armed, i.e. everyone is asleep, then jumps to the earliest one.
        /// </summary>
        public async Task<T> RunAsync<T>(Task<T> task, Func<int> sleepers)
        {
            var watchdog = Stopwatch.StartNew();
            while (!task.IsCompleted)
            {
                if (ArmedTimers >= sleepers() && ArmedTimers > 0)
                {
                    DateTimeOffset next;
                    lock (_gate) next = _armed.Min(t => t.DueAt!.Value);
                    if (next > GetUtcNow()) SetUtcNow(next);
                    else Advance(TimeSpan.Zero);
                }
                await Task.Delay(1);
                if (watchdog.Elapsed > TimeSpan.FromSeconds(20)) throw new TimeoutException($"Virtual run did not finish: {ArmedTimers} timers armed, {sleepers()} sleepers expected at {GetUtcNow():O}.");
            }
            return await task;
        }

        /// <summary>Jumps to the earliest armed timer (or fires those due now); false when none is armed.</summary>
        public bool AdvanceToNextTimer()
        {
            DateTimeOffset next;
            lock (_gate)
            {
                if (_armed.Count == 0) return false;
                next = _armed.Min(t => t.DueAt!.Value);
            }
            if (next > GetUtcNow()) SetUtcNow(next);
            else Advance(TimeSpan.Zero);
            return true;
        }

        private sealed class TrackedTimer : ITimer
        {
            private readonly VirtualClock _clock;
            private TimeSpan _period;

            public TrackedTimer(VirtualClock clock, TimeSpan period)
            {
                _clock = clock;
                _period = period;
            }

            public ITimer? Inner { get; set; }
            public DateTimeOffset? DueAt { get; private set; }

            public void Arm(TimeSpan dueTime)
            {
                lock (_clock._gate)
                {
                    DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _clock.GetUtcNow() + dueTime;
                    if (DueAt.HasValue) _clock._armed.Add(this);
                    else _clock._armed.Remove(this);
                }
            }

            public void Fired() => Arm(_period == TimeSpan.Zero ? Timeout.InfiniteTimeSpan : _period);

            public bool Change(TimeSpan dueTime, TimeSpan period)
            {
                _period = period;
                Arm(dueTime);
                return Inner!.Change(dueTime, period);
            }

            public void Dispose()
            {
                Arm(Timeout.InfiniteTimeSpan);
                Inner?.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return default;
            }
        }
    }
}
