// Greets the people named after `--` on the command line.
import args;

for (name in args.rest()) {
    print("Hello, " + name + "!");
}
print("(" + args.script() + " greeted " + str(len(args.rest())) + ")");
