// The one base type of mistakes a user can fix (settings, files, data, weights): the runner prints the message and exits 1.
namespace SnnDsl.Core.Errors;

/// <summary>
/// A mistake of the user, not of snn: a bad setting, a missing or damaged file, data or weights that do not fit.
/// The message is one sentence naming what is wrong and, where it helps, what to do; the command line's entry point
/// catches this type once, prefixes "snn: error:" (and the rank) and exits with code 1.
/// </summary>
public class UserException(string message, Exception? inner = null) : Exception(message, inner);
