namespace Cobalt.Reporting.Tests;
