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

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
