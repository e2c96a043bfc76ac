// The one exception type for user-facing data problems: missing, corrupt or mismatched dataset files.
namespace SnnDsl.Core.Data;

/// <summary>
/// A dataset could not be read because of the user's data (missing folder or file, wrong format, truncation).
/// The message names the file and what was expected; callers print it without a stack trace.
/// </summary>
public sealed class DataException(string message, Exception? inner = null) : Errors.UserException(message, inner);
