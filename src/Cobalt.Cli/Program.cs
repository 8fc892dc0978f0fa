using Cobalt.Cli;

// Plain output (redirected, NO_COLOR, TERM=dumb), --json and --quiet are set per command by CliOutput (see CobaltCommand).
return CobaltCommand.Invoke(args);
