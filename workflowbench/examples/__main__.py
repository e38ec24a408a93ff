from workflowbench.examples.shortcuts import main

raise SystemExit(main())
