using System;
using System.Runtime.InteropServices;
using System.Security;

namespace ApimDr.Engine.Credentials
{
    /// <summary>Reads a SecureString at the last moment, for the one request body or header that needs it.</summary>
    internal static class SecureStrings
    {
        public static string ToPlainText(SecureString value)
        {
            if (value == null) throw new ArgumentNullException(nameof(value));
            IntPtr ptr = IntPtr.Zero;
            try
            {
                ptr = Marshal.SecureStringToGlobalAllocUnicode(value);
                // With the length: PtrToStringUni(ptr) alone stops at the first NUL, so "abc\0def" read as "abc"
                // and a token or key with a NUL in it passed every check.
                return Marshal.PtrToStringUni(ptr, value.Length);
            }
            finally
            {
                if (ptr != IntPtr.Zero) Marshal.ZeroFreeGlobalAllocUnicode(ptr);
            }
        }
    }
}
