using System;
using System.Security;
using ApimDr.Engine.Errors;

namespace ApimDr.Engine.Credentials
{
    /// <summary>
    /// A storage account key must be base64 (key1/key2 of the account: 88 characters). Checked wherever a
    /// key is taken, before any request: a malformed key would otherwise throw a FormatException from
    /// the storage client, or be POSTed to ARM. The key itself is never put in a message.
    /// </summary>
    internal static class StorageKeys
    {
        public static void Validate(SecureString key, string? accountName)
        {
            string? problem = Problem(SecureStrings.ToPlainText(key));
            if (problem != null)
            {
                string account = string.IsNullOrEmpty(accountName) ? "the storage account" : $"storage account '{accountName}'";
                throw ApimDrException.InvalidArgument(ErrorIds.InvalidStorageAccountKey,
                    $"The key given for {account} {problem} (the key is not shown). Use key1 or key2 from the account's Access keys, e.g. (Get-AzStorageAccountKey -ResourceGroupName <rg> -Name <account>)[0].Value.",
                    accountName);
            }
        }

        private static string? Problem(string key)
        {
            if (key.Trim().Length == 0) return "is empty";
            foreach (char c in key)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c)) return "contains whitespace or a line break; an account key is one base64 string";
            }
            try
            {
                if (Convert.FromBase64String(key).Length == 0) return "is empty";
            }
            catch (FormatException)
            {
                return "is not valid base64; an account key is the base64 string the portal shows";
            }
            return null;
        }
    }
}
