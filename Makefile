# make lab   set everything up (once) and open the course in JupyterLab
# make test  set everything up (once) and run the tests
# make notebooks [PARAMS="-p SMOKE True"]  execute every notebook into build/notebooks
# make student  the student edition (no solutions) into build/student
# GPU=1      install TensorFlow with CUDA instead of the CPU build
PYTHON ?= python3
VENV ?= .venv
EXTRAS = $(if $(GPU),gpu,cpu),lab,test
BIN = $(VENV)/bin

.PHONY: lab test notebooks student install clean

lab: $(VENV)/.installed
	$(BIN)/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# Two pytest processes: TensorFlow keeps the memory of every model the unit tests build until its
# process ends, so the notebooks (whose kernels are processes of their own) run in a fresh one.
# Exit status 5 means "no test selected", e.g. when PYTEST_ARGS selects tests of one half only.
test: $(VENV)/.installed
	$(BIN)/python -m pytest tests --ignore=tests/test_notebooks.py $(PYTEST_ARGS); units=$$?; \
	$(BIN)/python -m pytest tests/test_notebooks.py notebooks $(PYTEST_ARGS); notebooks=$$?; \
	for status in $$units $$notebooks; do [ $$status -eq 0 ] || [ $$status -eq 5 ] || exit $$status; done; \
	[ $$units -eq 0 ] || [ $$notebooks -eq 0 ]

notebooks: $(VENV)/.installed
	mkdir -p build/notebooks
	for nb in notebooks/[0-9][0-9]_*.ipynb; do \
	  $(BIN)/papermill "$$nb" "build/notebooks/$$(basename $$nb)" --cwd notebooks $(PARAMS) || exit 1; \
	done

student: $(VENV)/.installed
	$(BIN)/python scripts/student_edition.py --out build/student

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info
