using System;
using System.Collections.Generic;

namespace ApimDr
{
    /// <summary>
    /// The writes of several starts that run at once, in the order of their inputs (docs/design.md, "A fleet
    /// starts at once"): input k's writes go to the pipeline thread at once while every earlier input has
    /// ended, else they are held until then. So output, errors and warnings read as if the starts ran one by one.
    /// </summary>
    internal sealed class OrderedWrites
    {
        private readonly CommandSession _session;
        private readonly List<Action>?[] _held;
        private readonly bool[] _ended;
        private readonly object _gate = new object();
        private int _head;   // the first input that has not ended: its writes go through at once

        public OrderedWrites(CommandSession session, int inputs)
        {
            _session = session;
            _held = new List<Action>?[inputs];
            _ended = new bool[inputs];
        }

        /// <summary>A write of input <paramref name="input"/> (on the pipeline thread, in its turn).</summary>
        public void Post(int input, Action write)
        {
            lock (_gate)
            {
                if (input == _head) _session.Post(write);
                else (_held[input] ??= new List<Action>()).Add(write);
            }
        }

        /// <summary>Input <paramref name="input"/> has written all it will: the next ones' held writes follow.</summary>
        public void End(int input)
        {
            lock (_gate)
            {
                _ended[input] = true;
                while (_head < _ended.Length && _ended[_head])
                {
                    _head++;
                    if (_head == _ended.Length || !(_held[_head] is List<Action> held)) continue;
                    foreach (Action write in held) _session.Post(write);   // the queue keeps this order
                    _held[_head] = null;
                }
            }
        }
    }
}
