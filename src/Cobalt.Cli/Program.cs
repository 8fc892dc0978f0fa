using Cobalt.Cli;

return CobaltCommand.Create().Parse(args).Invoke();
